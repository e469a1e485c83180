"""``python -m smsc_soap.cli``: the same as ``smsc-soap``."""
import sys

from .main import main

sys.exit(main())
