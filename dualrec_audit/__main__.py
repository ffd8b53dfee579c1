from dualrec_audit.cli import entry

entry()
