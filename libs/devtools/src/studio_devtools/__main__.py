from studio_devtools.stack import main

main()
