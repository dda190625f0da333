"""Long command-line work shows progress on a terminal and stays quiet when piped."""

import os
import pty
import subprocess
import sys
from pathlib import Path

CASEWORK = Path(sys.executable).parent / "casework"


def _families(tmp_path, n=6000):
    path = tmp_path / "families.csv"
    path.write_text("family_ref,family_name\n" + "".join(f"G{i:06d},Family {i}\n" for i in range(n)))
    return path


def _run_with_terminal_stderr(args, env):
    import tempfile

    leader, follower = pty.openpty()
    stdout = tempfile.TemporaryFile()  # a pipe could fill up while we read the terminal
    process = subprocess.Popen(args, env=env, stdout=stdout, stderr=follower)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    process.wait()
    os.close(leader)
    stdout.seek(0)
    return process.returncode, stdout.read().decode(), b"".join(chunks).decode(errors="replace")


def test_import_shows_a_progress_bar_on_a_terminal(app, database_url, tmp_path):
    env = {**os.environ, "DATABASE_URL": database_url}
    code, out, err = _run_with_terminal_stderr([str(CASEWORK), "import", "families", str(_families(tmp_path))], env)
    assert code == 0 and out.strip() == "families: 6000 created, 0 updated, 0 unchanged"
    assert "Checking families.csv" in err and "100%" in err


def test_import_and_evaluate_stay_quiet_when_piped(app, database_url, tmp_path):
    env = {**os.environ, "DATABASE_URL": database_url}
    done = subprocess.run([str(CASEWORK), "import", "families", str(_families(tmp_path))], env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0 and done.stderr == ""
    evaluated = subprocess.run([str(CASEWORK), "evaluate", "--as-of", "2013-09-30", "--format", "csv"],
                               env=env, capture_output=True, text=True)
    assert evaluated.returncode == 0 and evaluated.stderr == ""
    assert len(evaluated.stdout.splitlines()) == 6001


def test_evaluate_shows_a_progress_bar_on_a_terminal(app, database_url, tmp_path):
    env = {**os.environ, "DATABASE_URL": database_url}
    subprocess.run([str(CASEWORK), "import", "families", str(_families(tmp_path, 1000))], env=env, check=True,
                   capture_output=True)
    code, out, err = _run_with_terminal_stderr([str(CASEWORK), "evaluate", "--as-of", "2013-09-30"], env)
    assert code == 0 and out.startswith("[") and "Evaluating" in err


def test_the_command_line_lists_casework_commands_and_no_plugin_commands(app, database_url):
    """Other packages' Flask plugin commands (flask-limiter's `limiter`) are left out: they
    are not for council staff, and loading them slowed every command."""
    done = subprocess.run([str(CASEWORK), "--help"], env={**os.environ, "DATABASE_URL": database_url},
                          capture_output=True, text=True)
    assert done.returncode == 0
    commands = {line.split()[0] for line in done.stdout.split("Commands:")[1].splitlines() if line.strip()}
    assert {"import", "evaluate", "allocate", "claims", "users", "db"} <= commands
    assert "limiter" not in commands
