from indspace._entry import main

main()
