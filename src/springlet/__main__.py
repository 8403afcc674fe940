from springlet.cli import main

main()
