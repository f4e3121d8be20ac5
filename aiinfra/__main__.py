from aiinfra.cli.main import main

main()
