"""Job scripts and the ``modrp`` command end through modrp.process.end_process."""

from __future__ import annotations

import subprocess
import sys

# A job script as Snakemake runs it: run_script with a stand-in for the injected object.
JOB = """
import sys, types
from modrp.errors import InputError
from modrp.steps import log, run_script

def step(smk):
    print("written to a pipe, not yet flushed", end="")
    log.info("step ran")
    if smk.params.fail == "fail":
        raise InputError("bad input")
    if smk.params.fail == "bug":
        raise RuntimeError("a bug")

run_script(step, types.SimpleNamespace(log=[sys.argv[1]],
                                       params=types.SimpleNamespace(fail=sys.argv[2])))
print("never reached")
"""


def run_job(tmp_path, outcome: str) -> tuple[subprocess.CompletedProcess, str]:
    logfile = tmp_path / outcome / "job.log"
    result = subprocess.run([sys.executable, "-c", JOB, str(logfile), outcome],
                            capture_output=True, text=True, timeout=120)
    return result, logfile.read_text()


def test_a_job_ends_with_status_0_and_its_output_and_log_flushed(tmp_path):
    result, log = run_job(tmp_path, "ok")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "written to a pipe, not yet flushed"
    assert "step ran" in log and "done in" in log


def test_a_job_with_an_input_error_ends_with_status_1_and_the_message_logged(tmp_path):
    result, log = run_job(tmp_path, "fail")
    assert result.returncode == 1
    assert "ERROR modrp: bad input" in log and "done in" not in log
    assert "Traceback" not in result.stderr


def test_an_unexpected_error_ends_with_status_1_and_its_traceback_in_the_log(tmp_path):
    result, log = run_job(tmp_path, "bug")
    assert result.returncode == 1
    assert "ERROR modrp: unexpected error" in log and "Traceback" in log
    assert "RuntimeError: a bug" in log and "done in" not in log
    assert "RuntimeError: a bug" in result.stderr


def test_the_modrp_command_ends_with_mains_status():
    result = subprocess.run([sys.executable, "-c", "from modrp.cli import console; console()",
                             "check-config", "no/such/config.yaml"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.startswith("error:")
