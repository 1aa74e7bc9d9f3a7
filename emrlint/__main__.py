from emrlint.cli import main

main()
