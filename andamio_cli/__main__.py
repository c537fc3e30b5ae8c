from andamio_cli.app import main

raise SystemExit(main())
