from custarchive.cli import main

main()
