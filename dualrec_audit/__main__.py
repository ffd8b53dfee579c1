from dualrec_audit.cli import main

raise SystemExit(main())
