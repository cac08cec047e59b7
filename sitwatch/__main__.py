from sitwatch.cli.main import main

raise SystemExit(main())
