import sys
from pathlib import Path

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # noqa: F821 (snakemake is injected)
from modrp.download import fetch  # noqa: E402
from modrp.steps import run_script  # noqa: E402


def download(smk) -> None:
    # Timeouts and retries come from the config, not from params: changing them must
    # not make Snakemake fetch every file again.
    settings = smk.config["data"]["download"]
    fetch(smk.params.urls, Path(smk.output[0]), key=smk.params.key,
          sha256=smk.params.sha256 or None, manifest=smk.params.manifest,
          timeout=settings["timeout"], retries=settings["retries"], backoff=settings["backoff"])


run_script(download, snakemake)  # noqa: F821
