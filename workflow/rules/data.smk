# Stage 1: raw source files (synthesized for the demo, or downloaded) -> aligned Parquet.


if SOURCE == "demo":

    rule demo_data:
        """Synthesize every raw source file in its real format, with a planted signal."""
        output:
            [f"{RAW}/{name}" for name in config["data"]["files"].values()],
            truth=f"{RAW}/truth.json",
            manifest=f"{RAW}/MANIFEST.tsv",
        params:
            config_values=config_values("data.demo", "data.files"),
        log:
            f"{RESULTS}/logs/demo_data.log",
        conda:
            "../../envs/data.yaml"
        script:
            "../scripts/demo_data.py"


if SOURCE == "download":

    rule download:
        """Fetch one raw source file (resumed, retried, then its fallback URLs), check its
        content and optional sha256 pin, and record it in MANIFEST.tsv; a file placed by
        hand is kept.  URLs and pins are read from the config, not given as params:
        adding a pin or a mirror must not delete a good file and fetch it again
        (check_raw_files holds every file to its pin before preprocessing)."""
        output:
            f"{RAW}/{{filename}}",
        wildcard_constraints:
            filename="|".join(re.escape(n) for n in config["data"]["files"].values()),
        params:
            key=lambda wildcards: {n: k for k, n in config["data"]["files"].items()}[
                wildcards.filename
            ],
            manifest=f"{RAW}/MANIFEST.tsv",
        log:
            f"{RESULTS}/logs/download/{{filename}}.log",
        conda:
            "../../envs/data.yaml"
        script:
            "../scripts/download.py"

    rule check_raw_files:
        """Hold every raw file to its sha256 pin (data.sha256) and record in MANIFEST.tsv
        each file placed by hand; CHECKED.tsv lists what was checked.  Preprocessing waits
        for this check but is not re-run after it (ancient input): adding a pin later
        checks the files again and re-runs nothing else, as the files did not change."""
        input:
            raw_inputs(),
        output:
            f"{RAW}/CHECKED.tsv",
        params:
            config_values=config_values("omics", "data.files", "data.sha256"),
        log:
            f"{RESULTS}/logs/check_raw_files.log",
        conda:
            "../../envs/data.yaml"
        script:
            "../scripts/check_raw_files.py"

    localrules:
        download,
        check_raw_files,


rule preprocess:
    """Filter features and drugs with the paper's 95% rules and align lines by COSMIC id."""
    input:
        raw=raw_inputs(),
        checked=[ancient(f"{RAW}/CHECKED.tsv")] if SOURCE == "download" else [],
    output:
        study_data_files(),
        summary=f"{DATA}/summary.json",
    params:
        config_values=config_values("omics", "drugs", "preprocess", "data.source",
                                    *raw_input_values()),
    log:
        f"{RESULTS}/logs/preprocess.log",
    conda:
        "../../envs/data.yaml"
    script:
        "../scripts/preprocess.py"
