"""Configuration: schema validation with defaults, and the checks a schema cannot express."""

from __future__ import annotations

import copy
import functools
import json
import logging
import math
from pathlib import Path

import yaml

from modrp.errors import ConfigError

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"
GENE_OMICS = ("exp", "mut", "cnv", "rppa")


def _load_schema(path: Path | None = None) -> dict:
    path = Path(path or SCHEMA_PATH)
    if not path.is_file():
        raise ConfigError(f"the configuration schema {path} is missing: modrp reads it from "
                          "the workflow/ folder of its repository, so install it from a "
                          "clone with pip install -e (as the README does), not as a copy")
    with open(path) as handle:
        return yaml.safe_load(handle)


def _fill_defaults(value, schema: dict):
    """Insert the schema's defaults for absent object properties, recursively."""
    if not isinstance(value, dict) or schema.get("type") != "object":
        return value
    for key, sub in schema.get("properties", {}).items():
        if key not in value and "default" in sub:
            value[key] = copy.deepcopy(sub["default"])
        if key in value:
            _fill_defaults(value[key], sub)
    return value


#: Schema violations named in one error message; the others are counted.
MAX_NAMED_PROBLEMS = 5


def _location(error) -> str:
    return ".".join(str(p) for p in error.absolute_path) or "(top level)"


@functools.cache
def _strict_validator():
    """Draft 2020-12, except that an integer must be an int: JSON Schema counts 3.0 as an
    integer, and a float where the workflow expects a count fails later (range(3.0))."""
    import jsonschema

    base = jsonschema.Draft202012Validator
    checker = base.TYPE_CHECKER.redefine(
        "integer", lambda _, value: isinstance(value, int) and not isinstance(value, bool))
    return jsonschema.validators.extend(base, type_checker=checker)


def validate_config(config: dict, schema_path: Path | None = None) -> dict:
    """Validate ``config`` against the schema, fill defaults, check consistency.

    Returns a new dict; raises ConfigError with the offending key and the reason.
    """
    schema = _load_schema(schema_path)
    config = copy.deepcopy(config)
    if isinstance(config, dict):
        config.pop("__use_yte__", None)  # Snakemake's switch for YTE templating, not ours
        config = _fill_defaults(config, schema)
        # An embedding or single_models map that names only some omics: the others keep
        # their default (as Snakemake's merge of config files gives).
        for key in ("embedding", "single_models"):
            if isinstance(config.get(key), dict):
                config[key] = {**schema["properties"][key]["default"], **config[key]}
    _refuse_non_finite(config)
    validator = _strict_validator()(schema)
    errors = sorted(validator.iter_errors(config),
                    key=lambda e: [str(p) for p in e.absolute_path])
    if errors:  # every problem named (up to a few), so that one run shows what to fix
        named = [f"config key {_location(e)}: {e.message}" for e in errors[:MAX_NAMED_PROBLEMS]]
        rest = len(errors) - len(named)
        more = f"; and {rest} more problem(s)" if rest else ""
        raise ConfigError("; ".join(named) + more)
    check_consistency(config)
    _leave_out_comparators_without_data(config)
    _warn_of_deepdr_omics_not_configured(config)
    return config


def _refuse_non_finite(value, path: tuple = ()) -> None:
    """No setting is NaN or infinite: YAML's .nan and .inf are floats that pass every
    bound of the schema (NaN compares false with all of them)."""
    if isinstance(value, dict):
        for key, item in value.items():
            _refuse_non_finite(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _refuse_non_finite(item, (*path, index))
    elif isinstance(value, float) and not math.isfinite(value):
        where = ".".join(map(str, path)) or "(top level)"
        raise ConfigError(f"config key {where}: {value} is not a finite number")


def _warn_of_deepdr_omics_not_configured(config: dict) -> None:
    """The DeepDR-style comparator runs on the omics of ``baselines.deepdr_omics`` that are
    configured (the workflow's comparator_runs): say which it leaves out, or that it does
    not run at all."""
    baselines = config["baselines"]
    if "deepdr" not in baselines["methods"]:
        return
    outside = [o for o in baselines["deepdr_omics"] if o not in config["omics"]]
    if outside:
        used = [o for o in baselines["deepdr_omics"] if o in config["omics"]]
        logging.getLogger(__name__).warning(
            "baselines: deepdr_omics %s not among the configured omics %s: %s", outside,
            config["omics"], f"deepdr runs on {used} only" if used else
            "deepdr does not run (set baselines.deepdr_omics, or leave deepdr out of "
            "baselines.methods)")


def _leave_out_comparators_without_data(config: dict) -> None:
    """Where the tissue x drug mean would be the per-drug mean under another name, it is
    not run (and a note says so): custom data without tissues, and tissue-blind folds,
    whose test lines' tissues are never among the training lines'."""
    custom = config["data"].get("custom") or {}
    methods = config["baselines"]["methods"]
    if "tissue_drug_mean" not in methods:
        return
    why = None
    if config["data"]["source"] == "custom" and not custom.get("tissues"):
        why = "data.custom.tissues gives no tissues"
    elif config["cv"]["split"] == "tissue":
        why = "cv.split 'tissue' leaves no test line's tissue among the training lines"
    if why:
        config["baselines"]["methods"] = [m for m in methods if m != "tissue_drug_mean"]
        logging.getLogger(__name__).warning(
            "baselines: tissue_drug_mean left out: %s, so it would equal the per-drug mean", why)


#: Files the workflow writes beside the raw files (results/<dataset>/raw/).
RESERVED_RAW_NAMES = ("truth.json", "MANIFEST.tsv", "CHECKED.tsv")


def check_consistency(config: dict) -> None:
    """Cross-key rules: custom inputs cover the omics; demo sizes the generator can
    make; the final model's combination is among the omics; graphs need an interactome."""
    omics = config["omics"]
    source = config["data"]["source"]
    if config["dataset"] in (".", ".."):
        raise ConfigError(f"config key dataset: {config['dataset']!r} names no folder of its own; "
                          "results go to results/<dataset>/, so give a name such as 'paper'")
    results_dir = config["results_dir"]
    if not results_dir.strip() or "{" in results_dir or "}" in results_dir:
        raise ConfigError(f"config key results_dir: {results_dir!r} is no folder the workflow "
                          "can write to: give a path without braces (Snakemake reads them as "
                          "wildcards in every output path), such as 'results'")
    for key, name in config["data"]["files"].items():
        if not name.strip() or "/" in name or "\\" in name or name.startswith("."):
            raise ConfigError(f"config key data.files.{key}: {name!r} is not a plain file "
                              "name; give a name without a folder, not starting with '.' "
                              "(the file lives in results/<dataset>/raw/)")
    names = list(config["data"]["files"].values())
    clashes = sorted({n for n in names if names.count(n) > 1}
                     | (set(RESERVED_RAW_NAMES) & set(names)))
    if clashes:
        raise ConfigError(f"config key data.files: {clashes} named twice or reserved "
                          f"({', '.join(RESERVED_RAW_NAMES)}); every raw file needs its own "
                          "name")
    if source == "custom":
        custom = config["data"].get("custom")
        if not custom:
            raise ConfigError("config key data.custom: required when data.source is 'custom'")
        if config["cv"]["split"] == "tissue" and not custom.get("tissues"):
            raise ConfigError("config key cv.split: 'tissue' needs the tissue of each line; "
                              "give data.custom.tissues (a table cell_line, tissue) or use "
                              "cv.split: cell_line")
        missing = [o for o in omics if o not in custom["omics"]]
        if missing:
            raise ConfigError(
                f"config key data.custom.omics: no matrix given for the configured omics "
                f"{missing}; add their paths or remove them from 'omics'"
            )
    if source == "demo":
        from modrp.demo import demo_scale

        sizes = {k: config["data"]["demo"][k] for k in ("n_lines", "n_genes", "n_edges")}
        try:
            demo_scale(**sizes)
        except ValueError as err:  # the generator's limits, some of them between sizes
            raise ConfigError(f"config key data.demo: {err}") from err
    final = config.get("final", {}).get("combination")
    if final:
        outside = [o for o in final if o not in omics]
        if outside:
            raise ConfigError(
                f"config key final.combination: {outside} not among the configured omics "
                f"{omics}; the final model can only use omics the pipeline prepares"
            )
    graphs = graph_omics(config)
    if graphs and not has_interactome(config):
        raise ConfigError(
            f"config key embedding: a graph embedding is asked for {graphs}, but "
            "data.custom.interactome gives no edge list; set those omics to 'dense' "
            "or provide an interactome"
        )


def has_interactome(config: dict) -> bool:
    if config["data"]["source"] == "custom":
        return bool(config["data"]["custom"].get("interactome"))
    return True


#: The raw files (``data.files`` keys) that only one omic needs; the others are always read.
OMIC_RAW_FILES = {"exp": ("expression",), "mut": ("mutations",), "cnv": ("copy_number",),
                  "rppa": ("rppa", "rppa_antibodies"), "metabolites": ("metabolomics",)}


def raw_files(config: dict) -> dict[str, str]:
    """``data.files`` (key -> file name) less the files of omics that are not configured:
    what the demo and download sources read, so the only files fetched and checked."""
    unused = {key for omic, keys in OMIC_RAW_FILES.items() if omic not in config["omics"]
              for key in keys}
    return {key: name for key, name in config["data"]["files"].items() if key not in unused}


def custom_files(config: dict) -> dict[str, str]:
    """The files a custom source reads, keyed by their config key (``data.custom.omics.exp``,
    ``data.custom.response``, ...): each configured omic's matrix, the response, and the
    interactome, drug and tissue tables where given."""
    custom = config["data"]["custom"]
    files = {f"data.custom.omics.{omic}": custom["omics"][omic] for omic in config["omics"]}
    files.update({f"data.custom.{key}": custom[key]
                  for key in ("response", "interactome", "drugs", "tissues") if custom.get(key)})
    return files


def graph_omics(config: dict) -> list[str]:
    """Configured omics whose embedding is a graph (in the order of ``omics``)."""
    return [o for o in config["omics"] if config["embedding"].get(o) == "graph"]


def buildable_graph_omics(config: dict) -> list[str]:
    """Gene-based omics for which an interactome graph can be built."""
    if not has_interactome(config):
        return []
    return [o for o in config["omics"] if o in GENE_OMICS]


#: Config values that steer how a job runs but never change what it writes.
RUN_ONLY = {"train": ("device", "threads", "log_every")}


def declared_values(config: dict, *paths: str) -> str:
    """The config values a job's outputs depend on, as one canonical JSON text.

    ``paths`` name single values (``"cv.seed"``) or whole sections (``"train"``, less
    its :data:`RUN_ONLY` values); an absent one is ``null``.  The rules carry this text
    as a param, so that Snakemake re-runs a job when one of the values changes, and the
    job reads its config back from it with :func:`job_config`.
    """
    values = {}
    for path in paths:
        node = config
        for key in path.split("."):
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict) and path in RUN_ONLY:
            node = {k: v for k, v in node.items() if k not in RUN_ONLY[path]}
        values[path] = node
    return json.dumps(values, sort_keys=True)


def job_config(declared: str, config: dict) -> dict:
    """The config a job reads: the values its rule declared (:func:`declared_values`),
    nested again, and the :data:`RUN_ONLY` values from ``config``.

    Nothing else is in it, so a job cannot depend on a value whose change would not
    re-run it: an undeclared value is not there to read (a ``KeyError``).
    """
    values = json.loads(declared)
    nested: dict = {}
    for path in sorted(values):
        *parents, last = path.split(".")
        node = nested
        for key in parents:
            node = node.setdefault(key, {})
            if not isinstance(node, dict):
                raise ValueError(f"declared config values overlap: {sorted(values)}")
        if last in node:
            raise ValueError(f"declared config values overlap: {sorted(values)}")
        node[last] = values[path]
    for section, keys in RUN_ONLY.items():
        target = nested.setdefault(section, {})
        if not isinstance(target, dict):
            raise ValueError(f"declared config value {section!r} is not a section")
        target.update({key: config[section][key] for key in keys})
    return nested


class _UniqueKeyLoader(yaml.SafeLoader):
    """yaml.SafeLoader refusing a mapping that names a key twice, which PyYAML (and
    Snakemake's --configfile) would otherwise settle silently by keeping the last."""

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # "<<: *defaults": keys written beside it override, as YAML says
            key = self.construct_object(key_node, deep=True)
            try:
                again = key in seen
            except TypeError:
                continue  # an unhashable key: the parent method says so
            if again:
                raise yaml.MarkedYAMLError(
                    "while reading a mapping", seen[key],
                    f"key {key!r} appears again (a section or key may be given once)",
                    key_node.start_mark)
            seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep)


def _unique_json_object(pairs: list) -> dict:
    keys = [key for key, _ in pairs]
    twice = sorted({key for key in keys if keys.count(key) > 1})
    if twice:
        raise ConfigError(f"key(s) {twice} appear more than once in one JSON object (a "
                          "section or key may be given once)")
    return dict(pairs)


def read_config_file(path: str | Path) -> dict:
    """The YAML config file at ``path`` (JSON when its suffix is .json, as Snakemake reads
    it) as a dict, unvalidated; a ConfigError when it cannot be read or parsed, or names a
    key twice in one mapping."""
    path = Path(path)
    try:
        if path.suffix.lower() == ".json":  # as Snakemake reads it: JSON allows tabs, YAML not
            with open(path, encoding="utf-8") as handle:
                return json.load(handle, object_pairs_hook=_unique_json_object) or {}
        with open(path, "rb") as handle:  # bytes: YAML detects the encoding, or says why not
            return yaml.load(handle, Loader=_UniqueKeyLoader) or {}
    except ConfigError as err:
        raise ConfigError(f"config file {path}: {err}") from None
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as err:
        reason = " ".join(str(err).split())  # PyYAML's messages span several lines
        raise ConfigError(f"config file {path}: {reason}") from err


def load_config(path: str | Path) -> dict:
    """Read a YAML (or JSON) config file and validate it."""
    return validate_config(read_config_file(path))
