"""``python -m smsc_soap.sandbox``: the same as ``smsc-soap sandbox``."""
import sys

from ..cli.sandbox import main

sys.exit(main())
