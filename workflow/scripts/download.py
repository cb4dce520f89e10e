import sys
from pathlib import Path

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # noqa: F821 (snakemake is injected)
from modrp.download import fetch  # noqa: E402
from modrp.steps import run_script  # noqa: E402


def download(smk) -> None:
    # URLs, pins, timeouts and retries come from the config, not from params: changing
    # them must not make Snakemake delete a good file and fetch it again.
    data, key = smk.config["data"], smk.params.key
    settings = data["download"]
    fetch(data["urls"].get(key, []), Path(smk.output[0]), key=key,
          sha256=data["sha256"].get(key) or None, manifest=smk.params.manifest,
          timeout=settings["timeout"], retries=settings["retries"], backoff=settings["backoff"])


run_script(download, snakemake)  # noqa: F821
