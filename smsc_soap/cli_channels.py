"""The old path of :mod:`smsc_soap.cli.channels` (the channel options and ``smsc-soap parts``), kept importable."""
from .cli.channels import (
    CHANNEL_OPTIONS, ChannelOption, PartsResult, add_channel_options, add_parts_command, channel_values,
)

__all__ = ["CHANNEL_OPTIONS", "ChannelOption", "PartsResult", "add_channel_options", "add_parts_command",
           "channel_values"]
