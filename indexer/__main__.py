"""``python -m indexer`` entry point."""
import sys

from indexer.cli import main

sys.exit(main())
