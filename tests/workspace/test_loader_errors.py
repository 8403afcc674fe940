"""Each class of workspace error: exact location and message, and neighbours still load."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from springlet.workspace.loader import load_workspace_files

WriteWorkspace = Callable[[dict[str, str]], Path]

GOOD_AGENT = """
    name: good
    description: Still works.
    instructions: Hello.
"""


PROMPT = "name: same\ndescription: d\nmessages:\n  - {{role: user, content: {}}}\n"


def problems(root: Path) -> list[str]:
    loaded = load_workspace_files(root)
    return [str(p).replace(f"{root}/", "") for p in loaded.problems]


def test_yaml_syntax_error_names_the_spot_and_other_files_load(
    write_workspace: WriteWorkspace,
) -> None:
    root = write_workspace(
        {"agents/bad.yaml": "name: bad\ndescription: [oops\n", "agents/good.yaml": GOOD_AGENT}
    )
    assert problems(root) == [
        "agents/bad.yaml:3:1: YAML syntax error: expected ',' or ']', but got '<stream end>' "
        "(check indentation and quoting around this spot)"
    ]
    assert load_workspace_files(root).usable_agents == ["good"]


def test_unknown_key_gets_did_you_mean(write_workspace: WriteWorkspace) -> None:
    root = write_workspace(
        {
            "agents/a.yaml": """
                name: a
                description: d
                instructions: i
                limits: {max_step: 3}
            """,
            "agents/good.yaml": GOOD_AGENT,
        }
    )
    assert problems(root) == [
        "agents/a.yaml:4:10: unknown key 'max_step' in 'limits' (did you mean 'max_steps'?)"
    ]
    loaded = load_workspace_files(root)
    assert loaded.usable_agents == ["good"]
    assert "agent:a" in loaded.unusable


def test_unknown_key_without_close_match_lists_allowed_keys(
    write_workspace: WriteWorkspace,
) -> None:
    root = write_workspace({"agents/a.yaml": "name: a\ndescription: d\ninstructions: i\nzzz: 1\n"})
    [problem] = problems(root)
    assert problem.startswith("agents/a.yaml:4:1: unknown key 'zzz' (allowed keys here: name,")


def test_missing_required_key(write_workspace: WriteWorkspace) -> None:
    root = write_workspace({"prompts/p.yaml": "name: p\ndescription: d\n"})
    assert problems(root) == [
        "prompts/p.yaml:1:1: missing required key 'messages' (add 'messages: ...')"
    ]


def test_wrong_type_is_located_at_the_value(write_workspace: WriteWorkspace) -> None:
    root = write_workspace(
        {"agents/a.yaml": "name: a\ndescription: d\ninstructions: i\nlimits:\n  timeout_s: soon\n"}
    )
    assert problems(root) == [
        "agents/a.yaml:5:14: limits.timeout_s: Input should be a valid number, "
        "unable to parse string as a number"
    ]


def test_unknown_tool_prompt_agent_collection(write_workspace: WriteWorkspace) -> None:
    root = write_workspace(
        {
            "tools/t.py": """
                from springlet import tool

                @tool
                def lookup(order_id: str) -> str:
                    \"\"\"Look an order up.\"\"\"
                    return order_id
            """,
            "agents/a.yaml": """
                name: a
                description: d
                instructions: i
                tools:
                  - lookpu
                  - prompt: nope
                  - agent: goood
                knowledge:
                  - collection: docs
            """,
            "agents/good.yaml": GOOD_AGENT,
        }
    )
    assert problems(root) == [
        "agents/a.yaml:5:5: unknown tool 'lookpu' (did you mean 'lookup'?)",
        "agents/a.yaml:6:5: unknown prompt 'nope' (known prompts: none)",
        "agents/a.yaml:7:5: unknown agent 'goood' (did you mean 'good'?)",
        "agents/a.yaml:9:17: unknown collection 'docs' (known collections: none)",
    ]
    assert load_workspace_files(root).usable_agents == ["good"]


def test_cycle_of_agents_is_reported_once(write_workspace: WriteWorkspace) -> None:
    tools = "tools:\n  - agent: {}\n"
    root = write_workspace(
        {
            "agents/a.yaml": "name: a\ndescription: d\ninstructions: i\n" + tools.format("b"),
            "agents/b.yaml": "name: b\ndescription: d\ninstructions: i\n" + tools.format("c"),
            "agents/c.yaml": "name: c\ndescription: d\ninstructions: i\n" + tools.format("a"),
            "agents/d.yaml": "name: d\ndescription: d\ninstructions: i\n" + tools.format("a"),
            "agents/good.yaml": GOOD_AGENT,
        }
    )
    assert problems(root) == [
        "agents/a.yaml:5:5: agents call each other in a cycle: a -> b -> c -> a "
        "(a run would never end; remove one of these agent tools)"
    ]
    loaded = load_workspace_files(root)
    # d calls into the cycle, so it cannot run either; good is untouched
    assert loaded.usable_agents == ["good"]


def test_duplicate_names_point_at_both(write_workspace: WriteWorkspace) -> None:
    root = write_workspace(
        {
            "prompts/one.yaml": PROMPT.format("hi"),
            "prompts/two.yaml": PROMPT.format("yo"),
        }
    )
    [problem] = problems(root)
    assert problem.startswith(
        "prompts/two.yaml:1:7: duplicate prompt name 'same' (first defined at "
    )
    assert problem.endswith(
        "prompts/one.yaml:1:7) (prompt names must be unique in a workspace; rename one)"
    )


def test_model_reference_that_does_not_parse(write_workspace: WriteWorkspace) -> None:
    root = write_workspace(
        {"agents/a.yaml": "name: a\ndescription: d\ninstructions: i\nmodel: olama:llama3\n"}
    )
    assert problems(root) == [
        "agents/a.yaml:4:8: model: unknown model provider 'olama' in 'olama:llama3'; "
        "did you mean 'ollama:llama3'? (providers: ollama, embedded, scripted, or plain 'auto')"
    ]


def test_template_variables_declared_and_used(write_workspace: WriteWorkspace) -> None:
    root = write_workspace(
        {
            "prompts/p.yaml": """
                name: p
                description: d
                input:
                  topic: {type: string}
                  extra: {type: integer, default: 3}
                messages:
                  - role: system
                    content: Be brief.
                  - role: user
                    content: |
                      Write about {{ topic }}.
                      In {{ language }}.
            """
        }
    )
    assert problems(root) == [
        "prompts/p.yaml:5:3: input 'extra' is declared but no message of prompt 'p' uses it "
        "(use '{{ extra }}' in a message or remove the input)",
        "prompts/p.yaml:12:1: prompt 'p' uses '{{ language }}' but declares no input 'language' "
        "(add 'language: {type: string}' under 'input:')",
    ]


def test_broken_tool_file_is_reported_and_other_tool_files_load(
    write_workspace: WriteWorkspace,
) -> None:
    root = write_workspace(
        {
            "tools/broken.py": "import not_a_real_module_xyz\n",
            "tools/fine.py": """
                from springlet import tool

                @tool
                def ping(host: str) -> str:
                    \"\"\"Ping a host.\"\"\"
                    return host
            """,
        }
    )
    assert problems(root) == [
        "tools/broken.py:1:1: importing this file raised ModuleNotFoundError: No module named "
        "'not_a_real_module_xyz' (tools/*.py are imported when the workspace loads; fix the "
        "error or install the missing package)"
    ]
    assert list(load_workspace_files(root).tools) == ["ping"]


def test_settings_errors_keep_the_valid_settings(write_workspace: WriteWorkspace) -> None:
    root = write_workspace({"springlet.yaml": "data_dir: state\nembeddings: auto\n"})
    loaded = load_workspace_files(root)
    assert loaded.settings.data_dir == "state"
    assert [p.location.line for p in loaded.problems if p.location] == [2]


def test_approval_must_name_a_listed_tool(write_workspace: WriteWorkspace) -> None:
    root = write_workspace(
        {
            "agents/a.yaml": """
                name: a
                description: d
                instructions: i
                advisors:
                  - approval: {tools: [refund]}
            """
        }
    )
    assert problems(root) == [
        "agents/a.yaml:5:24: unknown tool 'refund' in approval (agent 'a' does not list it "
        "under tools) (known tools: none)"
    ]


def test_empty_workspace_is_valid(write_workspace: WriteWorkspace) -> None:
    root = write_workspace({})
    loaded = load_workspace_files(root)
    assert loaded.problems == ()
    assert str(loaded.settings.default_model) == "auto"


def test_ollama_host_that_is_not_a_url_is_located(write_workspace: WriteWorkspace) -> None:
    root = write_workspace({"springlet.yaml": 'ollama: {host: "not a url at all"}\n'})
    assert problems(root) == [
        "springlet.yaml:1:16: ollama.host: 'not a url at all' is not a server address "
        "(expected http(s)://host[:port])"
    ]


def test_test_case_input_the_prompt_does_not_declare_gets_did_you_mean(
    write_workspace: WriteWorkspace,
) -> None:
    root = write_workspace(
        {
            "prompts/p.yaml": """
                name: p
                description: d
                input:
                  text: {type: string}
                messages:
                  - {role: user, content: "{{ text }}"}
                tests:
                  - input: {text: hi, txet: typo}
            """
        }
    )
    assert problems(root) == [
        "prompts/p.yaml:8:23: test case 1 of prompt 'p' gives input 'txet', which it does "
        "not take (did you mean 'text'?)"
    ]
