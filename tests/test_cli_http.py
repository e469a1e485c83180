"""``smsc-soap operator``, ``jobs`` and ``exports``: in-process against a sandbox (``SMSC_URL``)
or ``--sandbox``, with --json and the documented exit codes."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

from smsc_soap import cli
from smsc_soap.sandbox import Sandbox
from smsc_soap.sandbox.exports import EXPORT_RUN_SECONDS, EXPORT_WAIT_SECONDS

LOGIN, PASSWORD = "ops", "s3cret-Pa55"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox([f"{LOGIN}:{PASSWORD}:50"]) as sb:
        yield sb


@pytest.fixture
def env(sandbox: Sandbox) -> Dict[str, str]:
    return {"SMSC_LOGIN": LOGIN, "SMSC_PASSWORD": PASSWORD, "SMSC_URL": sandbox.url}


def run(capsys: pytest.CaptureFixture[str], *args: str, env: Dict[str, str] = {}) -> "tuple[int, str, str]":
    code = cli.main(list(args), env=env)
    out, err = capsys.readouterr()
    return code, out, err


def lines(out: str) -> List[Dict[str, object]]:
    return [json.loads(line) for line in out.splitlines()]


def test_operator_of_several_numbers_as_json(capsys: pytest.CaptureFixture[str], env: Dict[str, str]) -> None:
    code, out, _ = run(capsys, "operator", "--json", "79161234567", "380671234567", env=env)
    assert code == cli.EXIT_OK
    assert [(o["type"], o["phone"], o["operator"]) for o in lines(out)] == [
        ("operator", "79161234567", "MTS"), ("operator", "380671234567", "Kyivstar")]


def test_an_unknown_operator_is_exit_1_with_one_line(capsys: pytest.CaptureFixture[str], env: Dict[str, str]) -> None:
    code, out, err = run(capsys, "operator", "12025550123", env=env)
    assert (code, out) == (cli.EXIT_SERVICE, "")
    assert err.splitlines() == ["smsc-soap: get_operator: error 3: operator not found"]


def test_jobs_add_list_get_cancel_delete(capsys: pytest.CaptureFixture[str], env: Dict[str, str],
                                         sandbox: Sandbox) -> None:
    code, out, _ = run(capsys, "jobs", "add", "--json", "promo", "79161234567", "Hi", "--rpt", "daily", "--rptn", "3",
                       "--sender2", "ALT", "--mes2", "fallback", "--translit", "1", "--cost", "2", env=env)
    assert code == cli.EXIT_OK and lines(out) == [{"type": "mailing", "id": 1, "cnt": 1, "cost": "2.00"}]
    assert sandbox.requests[-1].params["fl[5]"] == "1"  # type: ignore[index]
    code, out, _ = run(capsys, "jobs", "list", "--json", env=env)
    assert [(m["id"], m["name"], m["rpt"], m["status"]) for m in lines(out)] == [(1, "promo", 2, 0)]
    assert run(capsys, "jobs", "cancel", "1", env=env)[0] == cli.EXIT_OK
    code, out, _ = run(capsys, "jobs", "get", "1", env=env)
    assert ["status", "2 cancelled"] in [line.split(None, 1) for line in out.splitlines()]
    assert run(capsys, "jobs", "delete", "1", env=env)[0] == cli.EXIT_OK
    assert run(capsys, "jobs", "get", "1", env=env)[0] == cli.EXIT_SERVICE


def test_a_bad_mailing_parameter_is_exit_2_before_anything_is_sent(capsys: pytest.CaptureFixture[str],
                                                                   env: Dict[str, str], sandbox: Sandbox) -> None:
    code, _, err = run(capsys, "jobs", "add", "x", "79161234567", "Hi", "--rpt", "fortnightly", env=env)
    assert code == cli.EXIT_USAGE and "rpt" in err and sandbox.requests == []


def test_exports_list_and_get_to_a_file_and_stdout(capsys: pytest.CaptureFixture[str], env: Dict[str, str],
                                                   sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.add_export("march", LOGIN, synthetic_rows=2)
    code, out, _ = run(capsys, "exports", "list", "--json", env=env)
    assert [(t["id"], t["status"]) for t in lines(out)] == [(1, 0)]
    code, _, err = run(capsys, "exports", "get", "1", env=env)
    assert code == cli.EXIT_SERVICE and "error 5" in err  # not done yet: the service has no file
    sandbox.advance(EXPORT_WAIT_SECONDS + EXPORT_RUN_SECONDS)
    target = tmp_path / "march.csv"
    code, out, err = run(capsys, "exports", "get", "march.csv", "-o", str(target), env=env)
    assert code == cli.EXIT_OK and target.read_text().count("\n") == 3
    assert "bytes written" in err and list(tmp_path.iterdir()) == [target]
    assert run(capsys, "exports", "get", "1", env=env)[0] == cli.EXIT_OK


def test_the_installed_command_with_sandbox() -> None:
    command = Path(sys.executable).parent / "smsc-soap"
    clean = {name: value for name, value in os.environ.items() if not name.startswith("SMSC_")}
    result = subprocess.run([str(command), "exports", "get", "--sandbox", "demo.csv"], env=clean,
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith("id;phone") and "Hello from the sandbox" in result.stdout
    assert "bytes written" in result.stderr  # not a terminal: plain progress lines


def test_the_progress_is_a_bar_on_a_terminal_and_lines_elsewhere(monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from smsc_soap.cli import pages as cli_http  # the module moved (was smsc_soap.cli_http): its private parts are patched here

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    bar = cli_http._progress(quiet=False)
    bar(1000)
    bar(0)
    assert "export" in capsys.readouterr().err  # tqdm's bar (the cli extra is installed here)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    lines_ = cli_http._progress(quiet=False)
    lines_(cli_http.PROGRESS_LINE_BYTES)
    lines_(5)
    lines_(0)
    assert capsys.readouterr().err.splitlines() == [
        f"smsc-soap: {cli_http.PROGRESS_LINE_BYTES} bytes written",
        f"smsc-soap: {cli_http.PROGRESS_LINE_BYTES + 5} bytes written"]
    assert cli_http._progress(quiet=True)(5) is None


def test_without_tqdm_a_terminal_gets_plain_lines(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from smsc_soap.cli import pages as cli_http  # the module moved (was smsc_soap.cli_http): its private parts are patched here

    def missing(name: str) -> None:
        raise ImportError(name)

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    monkeypatch.setattr(cli_http.importlib, "import_module", missing)  # type: ignore[attr-defined]
    progress = cli_http._progress(quiet=False)
    progress(7)
    progress(0)
    assert capsys.readouterr().err.splitlines() == ["smsc-soap: 7 bytes written"]


# --- issue 22 point 8: the export written whole, safely, with the umask's mode (never wider than the
# file it replaces) ---------------------------------------------------------------------------------


def _done_export(sandbox: Sandbox) -> None:
    sandbox.add_export("march", LOGIN, synthetic_rows=2)
    sandbox.advance(EXPORT_WAIT_SECONDS + EXPORT_RUN_SECONDS)


def test_exports_get_never_writes_through_a_planted_link(capsys: pytest.CaptureFixture[str], env: Dict[str, str],
                                                        sandbox: Sandbox, tmp_path: Path) -> None:
    _done_export(sandbox)
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    target = tmp_path / "out.csv"
    (tmp_path / "out.csv.part").symlink_to(victim)  # the name the command used to write through
    code, _, err = run(capsys, "exports", "get", "1", "-o", str(target), env=env)
    assert code == cli.EXIT_OK, err
    assert victim.read_text() == "keep me" and target.read_text().startswith("id;phone")
    assert not target.is_symlink()


def test_exports_get_replaces_a_link_at_the_target_not_its_file(capsys: pytest.CaptureFixture[str],
                                                                env: Dict[str, str], sandbox: Sandbox,
                                                                tmp_path: Path) -> None:
    _done_export(sandbox)
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    target = tmp_path / "out.csv"
    target.symlink_to(victim)
    assert run(capsys, "exports", "get", "1", "-o", str(target), env=env)[0] == cli.EXIT_OK
    assert victim.read_text() == "keep me" and not target.is_symlink()


def test_a_failure_mid_file_leaves_no_file(capsys: pytest.CaptureFixture[str], env: Dict[str, str],
                                           sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from smsc_soap.cli import pages as cli_http  # the module moved (was smsc_soap.cli_http): its private parts are patched here
    from smsc_soap.errors import ConnectionError as Cut

    _done_export(sandbox)

    def progress(*, quiet: bool) -> Any:
        def cut(size: int) -> None:
            raise Cut("the connection dropped mid-file")
        return cut

    monkeypatch.setattr(cli_http, "_progress", progress)  # fails after the first piece was written
    code, _, _ = run(capsys, "exports", "get", "1", "-o", str(tmp_path / "out.csv"), env=env)
    assert code != cli.EXIT_OK and list(tmp_path.iterdir()) == []


def test_a_cut_export_leaves_no_file(capsys: pytest.CaptureFixture[str], env: Dict[str, str], sandbox: Sandbox,
                                     tmp_path: Path) -> None:
    _done_export(sandbox)
    sandbox.inject("truncated", operation="exports.get_file", honest_length=False)
    code, _, _ = run(capsys, "exports", "get", "1", "-o", str(tmp_path / "out.csv"), env=env)
    assert code != cli.EXIT_OK and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o077])
def test_the_export_gets_the_umasks_mode(capsys: pytest.CaptureFixture[str], env: Dict[str, str], sandbox: Sandbox,
                                         tmp_path: Path, umask: int) -> None:
    _done_export(sandbox)
    old = os.umask(umask)
    try:
        assert run(capsys, "exports", "get", "1", "-o", str(tmp_path / "out.csv"), env=env)[0] == cli.EXIT_OK
    finally:
        os.umask(old)
    assert (tmp_path / "out.csv").stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.parametrize("umask, before, after", [
    (0o022, 0o600, 0o600),  # restricted by its owner: stays so
    (0o022, 0o640, 0o640),
    (0o077, 0o644, 0o600),  # the umask narrower than the file: the umask's
    (0o022, 0o755, 0o644),  # wider than the umask's: never more than a new file gets
], ids=["0600 stays", "0640 stays", "umask 077 over 0644", "0755 under umask 022"])
def test_an_export_over_a_file_is_never_wider_than_the_file_it_replaces(
        capsys: pytest.CaptureFixture[str], env: Dict[str, str], sandbox: Sandbox, tmp_path: Path,
        umask: int, before: int, after: int) -> None:
    _done_export(sandbox)
    target = tmp_path / "out.csv"
    target.write_text("phone numbers and texts")
    target.chmod(before)
    old = os.umask(umask)
    try:
        assert run(capsys, "exports", "get", "1", "-o", str(target), env=env)[0] == cli.EXIT_OK
    finally:
        os.umask(old)
    assert target.stat().st_mode & 0o7777 == after and target.read_text().startswith("id;phone")


def test_an_export_over_a_link_replaces_the_link_with_a_new_files_mode(
        capsys: pytest.CaptureFixture[str], env: Dict[str, str], sandbox: Sandbox, tmp_path: Path) -> None:
    _done_export(sandbox)
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    victim.chmod(0o600)
    target = tmp_path / "out.csv"
    target.symlink_to(victim)
    old = os.umask(0o022)
    try:
        assert run(capsys, "exports", "get", "1", "-o", str(target), env=env)[0] == cli.EXIT_OK
    finally:
        os.umask(old)
    assert not target.is_symlink() and target.stat().st_mode & 0o7777 == 0o644
    assert victim.read_text() == "keep me" and victim.stat().st_mode & 0o7777 == 0o600


@pytest.mark.parametrize("args", [
    ("exports", "get", "²"), ("exports", "get", "٣"), ("jobs", "get", "²"), ("jobs", "cancel", "٣"),
    ("jobs", "delete", "1²"), ("exports", "list", "--cnt", "²"), ("exports", "list", "--after-id", "٣"),
    ("jobs", "add", "x", "79161234567", "Hi", "--rptn", "²"), ("status", "79161234567", "1", "--all", "٢"),
])
def test_a_number_in_other_digits_is_a_usage_error(capsys: pytest.CaptureFixture[str], env: Dict[str, str],
                                                   args: "tuple[str, ...]") -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(list(args), env=env)
    out, err = capsys.readouterr()
    assert (exited.value.code, out) == (cli.EXIT_USAGE, "") and len(err.splitlines()) == 1
    assert "ASCII digits" in err or "whole number" in err


# --- a bad -o, a full disk: one line and an exit code, never a traceback ---------------------------


@pytest.mark.parametrize("where", ["a directory", "in a missing directory", "under a file"])
def test_an_output_path_the_file_cannot_be_put_at_is_refused_before_the_download(
        capsys: pytest.CaptureFixture[str], env: Dict[str, str], sandbox: Sandbox, tmp_path: Path, where: str) -> None:
    _done_export(sandbox)
    (tmp_path / "dir.csv").mkdir()
    (tmp_path / "file").write_text("x")
    output = {"a directory": tmp_path / "dir.csv", "in a missing directory": tmp_path / "nodir" / "out.csv",
              "under a file": tmp_path / "file" / "out.csv"}[where]
    code, out, err = run(capsys, "exports", "get", "1", "-o", str(output), env=env)
    assert (code, out) == (cli.EXIT_USAGE, "")
    assert len(err.splitlines()) == 1 and err.startswith(f"smsc-soap: -o {output}: ") and "nothing was downloaded" in err
    assert sandbox.requests == []  # not a byte downloaded for a file that could not be kept
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir.csv", "file"] and not any((tmp_path / "dir.csv").iterdir())


def _with_file_size_limit(limit: int) -> Any:
    """For a child process: files it writes cannot grow past ``limit`` bytes (EFBIG, as a full
    disk's ENOSPC: Python ignores SIGXFSZ)."""
    import resource

    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_a_file_that_cannot_be_written_is_one_line_exit_7_and_no_file(tmp_path: Path) -> None:
    output = tmp_path / "out.csv"
    clean = {name: value for name, value in os.environ.items() if not name.startswith("SMSC_")}
    result = subprocess.run([sys.executable, "-m", "smsc_soap.cli", "exports", "get", "--sandbox", "demo.csv",
                             "-o", str(output)], env={**clean, "PYTHONPATH": str(Path(__file__).parents[1])},
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
                            preexec_fn=_with_file_size_limit(10))
    assert result.returncode == cli.EXIT_FILE, result.stderr
    assert result.stderr.splitlines() == [f"smsc-soap: File too large; nothing was written to {output}"]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("closed", ["stderr", "stdout and stderr"])
def test_the_file_once_whole_is_kept_whatever_happens_to_the_output(tmp_path: Path, closed: str) -> None:
    """`exports get -o FILE ... 2>&1 | grep -q x`: the progress line nobody reads is dropped; the file stays."""
    output = tmp_path / "out.csv"
    clean = {name: value for name, value in os.environ.items() if not name.startswith("SMSC_")}
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has gone
    try:
        result = subprocess.run([sys.executable, "-m", "smsc_soap.cli", "exports", "get", "--sandbox", "demo.csv",
                                 "-o", str(output)], env={**clean, "PYTHONPATH": str(Path(__file__).parents[1])},
                                stdin=subprocess.DEVNULL, stdout=write_end if "stdout" in closed else subprocess.DEVNULL,
                                stderr=write_end, timeout=60)
    finally:
        os.close(write_end)
    assert result.returncode == cli.EXIT_OK
    assert output.read_text().startswith("id;phone") and list(tmp_path.iterdir()) == [output]
