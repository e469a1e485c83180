"""The environment variables of smsc-soap, named once: the ``smsc-soap`` command and
:meth:`smsc_soap.Client.from_env` read the same ones, the same way.

An API key wins over a login unless the caller names a login (the command's ``--login``);
the password is only ever read from the environment (never a command-line argument).
"""
from __future__ import annotations

from typing import Dict, Mapping, Optional

__all__ = ["ENV_APIKEY", "ENV_HOST", "ENV_LOGIN", "ENV_PASSWORD", "ENV_URL", "VARIABLES", "client_arguments"]

ENV_LOGIN = "SMSC_LOGIN"
ENV_PASSWORD = "SMSC_PASSWORD"
ENV_APIKEY = "SMSC_APIKEY"
ENV_HOST = "SMSC_HOST"
ENV_URL = "SMSC_URL"

#: name -> what it holds (the command's help and the docs show this table).
VARIABLES: Mapping[str, str] = {
    ENV_LOGIN: "account login",
    ENV_PASSWORD: "its password",
    ENV_APIKEY: "an API key, used instead of login and password unless a login is named",
    ENV_HOST: "service host such as smsc.kz (default smsc.ru)",
    ENV_URL: "full SOAP endpoint URL, e.g. a sandbox's",
}


def client_arguments(env: Mapping[str, str], login: Optional[str] = None) -> Dict[str, str]:
    """The ``Client`` keywords that ``env`` gives: ``apikey``, or ``login`` and ``psw``; and
    ``host``/``url`` when set. Empty variables count as unset; ``login`` overrides ``SMSC_LOGIN``
    and turns the API key off, as ``--login`` does. What is missing is left for ``Client`` to
    refuse with its own message."""
    given = {name: value for name, value in env.items() if name in VARIABLES and value}
    arguments: Dict[str, str] = {}
    if ENV_APIKEY in given and login is None:
        arguments["apikey"] = given[ENV_APIKEY]
    else:
        for key, value in (("login", login or given.get(ENV_LOGIN)), ("psw", given.get(ENV_PASSWORD))):
            if value:
                arguments[key] = value
    for key, name in (("host", ENV_HOST), ("url", ENV_URL)):
        if name in given:
            arguments[key] = given[name]
    return arguments
