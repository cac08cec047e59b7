from sitwatch.cli import main

raise SystemExit(main())
