import sys

from ils_desktop.cli import main

sys.exit(main())
