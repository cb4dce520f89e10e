"""Final models and predictions for new cell lines.

:func:`train_final_model` fits one omics combination on every study cell line,
by the procedure a cross-validation fold uses with its test fold left empty, so
the cross-validated scores estimate how this model does on unseen lines:

- a seeded share of the study lines (``train.validation_fraction``) is held out;
- each omic's subnetwork is trained on the study lines that have that omic and
  are not held out, and stops early on the held-out lines that have it; its
  standardization is fit on all the study lines of that omic (training plus
  held-out lines, as a fold's subnetwork fits it on its whole training fold);
- the attention fusion is fit, with the subnetworks frozen, on the held-out
  lines that have every omic of the combination; a share of them
  (``fusion.holdout_fraction``) stops it early.

Lines lacking an omic of the combination take no part in the fusion and get no
prediction (``model.json`` counts them).  The model folder is self-contained:
checkpoints (``state_dict`` + plain metadata, read with ``weights_only=True``),
the graphs they need, ``model.json``, ``standardization.parquet``,
``drugs.parquet``, ``predictions.parquet`` (in-sample: every line the model saw)
and ``attention.parquet``.

:func:`load_final_model` and :func:`predict_lines` apply it to new profiles;
:func:`read_new_profiles` reads them from the custom matrix format or from the
real source files (DepMap / CCLE / GDSC layouts), encoded as preprocessing does.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from modrp.errors import InputError
from modrp.sources.depmap import NEWER_FILE_NAMES

log = logging.getLogger(__name__)

MODEL_FORMAT = 1
#: Default limit on the share of a model's features an input may lack (per omic, per line).
MAX_MISSING_FEATURES = 0.2
#: Set in ``frame.attrs`` by :func:`read_new_profiles` for matrices built from a variant
#: table: a gene absent from such a matrix is not mutated (0), not unknown.
ABSENT_IS_ZERO = "modrp_absent_features_are_zero"
PREDICT_BATCH = 1024

#: Real source files recognised by name in a directory (the config's default names).
REAL_FILES = {
    "exp": "CCLE_expression.csv",
    "mut": "CCLE_mutations.csv",
    "cnv": "Gene_level_CN.xlsx",
    "rppa": "CCLE_RPPA_20181003.csv",
    "metabolites": "CCLE_metabolomics_20190502.csv",
}
SAMPLE_INFO = "sample_info.csv"
#: The names of DepMap's files in its newer releases (from 2022), read by the same parsers.
NEWER_REAL_FILES = {"exp": NEWER_FILE_NAMES["expression"],
                    "mut": NEWER_FILE_NAMES["mutations"]}
(MODEL_TABLE,) = NEWER_FILE_NAMES["sample_info"]
_TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".tab", ".parquet", ".csv.gz", ".tsv.gz", ".txt.gz")
#: Files of the pipeline's raw folder and of ``modrp demo-data --new-lines`` that hold no
#: omics profile (the RPPA antibody table, the responses, the planted truth): a folder's
#: files by these names are left out without a warning, as they name nothing misnamed.
NOT_PROFILES = frozenset({
    "CCLE_RPPA_Ab_info_20181226.csv", "GDSC2_fitted_dose_response_17Jul19.xlsx",
    "screened_compounds_rel_8.0.csv", "Cell_Lines_Details.xlsx",
    "HomoSapiens_binary_hq.txt", "truth.json", "MANIFEST.tsv", "CHECKED.tsv",
    "responses.csv", "new_lines.json",
})


def _omic_order() -> tuple[str, ...]:
    from modrp.train import OMIC_ORDER

    return OMIC_ORDER


# --------------------------------------------------------------------------- training


def _ordered_combination(combination) -> list[str]:
    order = _omic_order()
    unknown = [o for o in combination if o not in order]
    if unknown or not combination:
        raise InputError(f"final model: combination {list(combination)} must name omics among "
                         f"{list(order)}" + (f"; unknown: {unknown}" if unknown else ""))
    return [o for o in order if o in set(combination)]


def _held_out_lines(lines: list[str], fraction: float, seed: int) -> set[str]:
    """The final model's validation lines: drawn from all study lines, shared by every
    combination (as a fold's validation lines are shared by all its models)."""
    from modrp.splits import job_seed

    rng = np.random.default_rng(job_seed(seed, "final", "validation"))
    n = int(round(fraction * len(lines)))
    return set(rng.choice(np.sort(np.asarray(lines, dtype=str)), size=n, replace=False).tolist())


def train_final_model(combination: list[str], data_dir: Path, graph_dir: Path, config: dict,
                      out_dir: Path, max_missing_features: float = MAX_MISSING_FEATURES) -> dict:
    """Train the subnetworks and attention fusion of ``combination`` on all study lines.

    Writes the self-contained model folder ``out_dir`` (replacing a previous model
    there) and returns the contents of its ``model.json``.
    """
    from modrp.graph import load_feature_graph
    from modrp.io import open_up, write_json, write_parquet
    from modrp.model import AttentionFusion, FusionModel, build_subnetwork
    from modrp.train import (
        Batch,
        FitSettings,
        ReadsInput,
        Standardization,
        fit,
        frozen_outputs,
        fusion_holdout,
        fusion_settings,
        job_seed,
        resolve_device,
        save_checkpoint,
        seed_everything,
        start_at_training_means,
    )

    combination = _ordered_combination(combination)
    data_dir, graph_dir, out_dir = Path(data_dir), Path(graph_dir), Path(out_dir)
    train_cfg, fusion_cfg = config["train"], config["fusion"]
    base_seed = int(config["cv"]["seed"])
    if not 0 <= max_missing_features <= 1:
        raise InputError(f"max_missing_features must be between 0 and 1, "
                         f"got {max_missing_features}")
    _check_replaceable(out_dir)
    device = resolve_device(train_cfg["device"])
    torch.set_num_threads(train_cfg["threads"])

    response = _read_study_table(data_dir / "response.parquet", "response")
    drugs = response.columns.astype(str).tolist()
    study = response.index[response.notna().any(axis=1)].astype(str)
    matrices = {o: _read_study_table(data_dir / "omics" / f"{o}.parquet", f"omic {o!r}")
                for o in combination}
    embeddings = {o: config["embedding"].get(o, "dense") for o in combination}
    held_out = _held_out_lines(list(study), train_cfg["validation_fraction"], base_seed)

    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=_parent(out_dir)))
    open_up(staging)  # readable wherever the rest of the results are
    try:
        omics_meta, subnetworks = {}, {}
        for omic in combination:
            matrix, embedding = matrices[omic], embeddings[omic]
            features, adjacency, graph_file = matrix.columns.astype(str).tolist(), None, None
            if embedding == "graph":
                graph_path = graph_dir / f"{omic}.npz"
                if not graph_path.is_file():
                    raise InputError(f"final model: the graph embedding of {omic!r} needs "
                                     f"{graph_path}, which does not exist")
                graph = load_feature_graph(graph_path)
                features, adjacency = graph.features, graph.adjacency
                graph_file = f"graph/{omic}.npz"
                (staging / "graph").mkdir(exist_ok=True)
                shutil.copyfile(graph_path, staging / graph_file)
                if graph_path.with_suffix(".json").is_file():
                    shutil.copyfile(graph_path.with_suffix(".json"),
                                    staging / "graph" / f"{omic}.json")
            lines = [c for c in study if c in matrix.index]
            train = [c for c in lines if c not in held_out]
            validation = [c for c in lines if c in held_out]
            if not train or not validation:
                raise InputError(f"final model: too few study lines with omic {omic!r} "
                                 f"({len(train)} to train, {len(validation)} held out)")
            standardization = Standardization.fit(matrix.loc[lines, features])
            seed = job_seed(base_seed, "final", omic, embedding)
            seed_everything(seed)
            model = build_subnetwork(omic, embedding, len(features), len(drugs), adjacency)
            start_at_training_means(model, response.loc[train], f"final model, {omic}")
            model = model.to(device)

            def batch(rows, omic=omic, matrix=matrix, scaler=standardization):
                return Batch.from_arrays({omic: scaler.transform(matrix.loc[rows])},
                                         response.loc[rows].to_numpy(np.float32), device)

            settings = FitSettings(lr=train_cfg["lr"],
                                   max_epochs=train_cfg["max_epochs"][embedding],
                                   patience=train_cfg["patience"],
                                   batch_size=train_cfg["batch_size"], seed=seed,
                                   log_every=train_cfg["log_every"])
            history = fit(ReadsInput(model, omic), batch(train), batch(validation), settings,
                          label=f"final {omic}-{embedding}")
            best_epoch = int(history.loc[history["best"], "epoch"].iloc[0])
            checkpoint = f"{omic}.pt"
            meta = {"omic": omic, "embedding": embedding, "features": features, "drugs": drugs,
                    "repeat": None, "fold": None, "final": True, "protocol": "strict",
                    "seed": seed, "best_epoch": best_epoch, "n_train": len(train),
                    "n_validation": len(validation), "n_test": 0}
            save_checkpoint(staging / checkpoint, model, meta, standardization)
            write_parquet(history, staging / f"history_{omic}.parquet")
            subnetworks[omic] = model
            slopes = scale_slopes(matrix.loc[lines, features], standardization)
            omics_meta[omic] = {
                "embedding": embedding, "features": features, "n_features": len(features),
                "checkpoint": checkpoint, "graph": graph_file, "n_train": len(train),
                "n_validation": len(validation), "best_epoch": best_epoch, "seed": seed,
                # the range of its lines' slopes on the training means (see _off_scale)
                "scale_slopes": None if slopes is None else
                [round(float(slopes.min()), 4), round(float(slopes.max()), 4)],
                "scaler": standardization,
            }

        complete = [c for c in study if all(c in matrices[o].index for o in combination)]
        fusion_lines = [c for c in complete if c in held_out]
        rng = np.random.default_rng(job_seed(base_seed, "final", "fusion-holdout",
                                             "-".join(combination)))
        fit_lines, stop_lines = fusion_holdout(fusion_lines, fusion_cfg["holdout_fraction"], rng,
                                               f"final model {'-'.join(combination)}")
        seed = job_seed(base_seed, "final", "attention", "-".join(combination))
        seed_everything(seed)
        fusion_model = FusionModel(subnetworks, AttentionFusion(len(combination), len(drugs)))
        fusion_model = fusion_model.to(device)

        scalers = {o: omics_meta[o]["scaler"] for o in combination}

        def outputs(rows):
            return frozen_outputs(fusion_model, scalers, matrices, response, rows, device)

        settings = fusion_settings(fusion_cfg, len(fit_lines), seed,
                                   train_cfg["log_every"])
        history = fit(ReadsInput(fusion_model.fusion, "z"), outputs(fit_lines),
                      outputs(stop_lines), settings, label=f"final attention "
                      f"{'-'.join(combination)}")
        fusion_meta = {"combination": combination, "layer": "attention", "drugs": drugs,
                       "repeat": None, "fold": None, "final": True, "seed": seed,
                       "best_epoch": int(history.loc[history["best"], "epoch"].iloc[0]),
                       "n_fit": len(fit_lines), "n_stop": len(stop_lines), "n_test": 0}
        save_checkpoint(staging / "fusion.pt", fusion_model.fusion, fusion_meta)
        write_parquet(history, staging / "history_fusion.parquet")

        weights = fusion_model.attention().detach().cpu().numpy()
        attention = pd.DataFrame({"drug": np.tile(drugs, len(combination)),
                                  "omic": np.repeat(combination, len(drugs)),
                                  "weight": weights.ravel().astype(np.float64)})
        write_parquet(attention, staging / "attention.parquet")
        write_parquet(pd.concat([
            pd.DataFrame({"omic": o, "feature": m["features"],
                          "mean": m["scaler"].mean.astype(np.float64),
                          "scale": m["scaler"].scale.astype(np.float64)})
            for o, m in omics_meta.items()], ignore_index=True),
            staging / "standardization.parquet")
        drug_table = _drug_table(data_dir, drugs)
        write_parquet(drug_table, staging / "drugs.parquet")

        study_lines = response.index.astype(str)
        lacking = {o: int((~study_lines.isin(matrices[o].index)).sum()) for o in combination}
        for m in omics_meta.values():
            del m["scaler"]
        model_json = {
            "format": MODEL_FORMAT,
            "combination": combination,
            "name": "-".join(combination),
            "layer": "attention",
            "embeddings": embeddings,
            "drugs": drugs,
            "drug_table": "drugs.parquet",
            "omics": omics_meta,
            "fusion": {"checkpoint": "fusion.pt", "n_fit": len(fit_lines),
                       "n_stop": len(stop_lines), "best_epoch": fusion_meta["best_epoch"],
                       "seed": seed},
            "lines": {
                "study": int(len(study_lines)),
                "with_response": int(len(study)),
                "held_out": int(len(held_out)),
                "with_all_omics": len(complete),
                "lacking_omic": lacking,
                "note": "lines lacking an omic of the combination trained only the "
                        "subnetworks of the omics they have; they take no part in the "
                        "fusion and get no prediction",
            },
            "seed": base_seed,
            "max_missing_features": float(max_missing_features),
            "standardization": "standardization.parquet (also inside each omic's checkpoint)",
            "predictions": "predictions.parquet: in-sample, every line with all omics; "
                           "role says what the line was used for",
            # The settings it was trained with (in the pipeline: exactly the values its
            # rule declares, so those whose change re-trains it).
            "config": {key: config[key] for key in
                       ("dataset", "train", "fusion", "embedding", "preprocess", "graph", "cv")
                       if key in config},
        }
        write_json(model_json, staging / "model.json")

        # Predictions of the model as saved, through the same code as new profiles.
        final = load_final_model(staging)
        predicted = predict_lines(final, {o: matrices[o].loc[complete] for o in combination})
        observed = response.loc[complete, drugs]
        role = pd.Series("train", index=complete)
        role[fit_lines] = "fusion_fit"
        role[stop_lines] = "fusion_stop"
        predictions = pd.DataFrame({
            "cell_line": np.repeat(complete, len(drugs)),
            "drug": np.tile(drugs, len(complete)),
            "predicted": predicted.loc[complete, drugs].to_numpy(np.float64).ravel(),
            "observed": observed.to_numpy(np.float64).ravel(),
            "role": np.repeat(role.to_numpy(), len(drugs)),
        })
        write_parquet(predictions, staging / "predictions.parquet")
        _replace_dir(staging, out_dir)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    log.info("final model %s: %d lines with every omic, fusion on %d (+%d to stop); written "
             "to %s", "-".join(combination), len(complete), len(fit_lines), len(stop_lines),
             out_dir)
    return model_json


def _parent(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.parent


def _check_replaceable(out_dir: Path) -> None:
    """Only an empty folder or an earlier model folder may be replaced."""
    if out_dir.exists() and not (
            out_dir.is_dir() and (not any(out_dir.iterdir()) or (out_dir / "model.json").exists())):
        raise InputError(f"final model: {out_dir} exists and is not a model folder "
                         "(no model.json); choose another output folder")


def _replace_dir(staging: Path, out_dir: Path) -> None:
    """Move the finished folder into place (replacing an earlier model folder)."""
    _check_replaceable(out_dir)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    os.replace(staging, out_dir)


def _read_study_table(path: Path, what: str) -> pd.DataFrame:
    if not path.is_file():
        raise InputError(f"final model: {what} table {path} does not exist; run the "
                         "preprocessing step first")
    frame = pd.read_parquet(path)
    frame.index = frame.index.astype(str)
    frame.columns = frame.columns.astype(str)
    return frame


def _drug_table(data_dir: Path, drugs: list[str]) -> pd.DataFrame:
    path = data_dir / "drugs.parquet"
    table = pd.read_parquet(path) if path.is_file() else pd.DataFrame({"drug": drugs})
    table = table.drop_duplicates("drug").set_index("drug").reindex(drugs)
    for column in ("target", "pathway"):
        if column not in table:
            table[column] = "unknown"
    return table.reset_index()


# --------------------------------------------------------------------------- loading


@dataclass
class FinalModel:
    """A loaded final model: the fused network, per-omic standardization, the metadata."""

    directory: Path
    meta: dict
    network: torch.nn.Module
    scalers: dict
    drug_table: pd.DataFrame
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))

    @property
    def combination(self) -> list[str]:
        return list(self.meta["combination"])

    @property
    def drugs(self) -> list[str]:
        return list(self.meta["drugs"])

    def features(self, omic: str) -> list[str]:
        return list(self.meta["omics"][omic]["features"])


#: What reading a damaged, foreign or unreadable checkpoint, graph or table raises (torch: a
#: truncated archive is a RuntimeError, garbage an UnpicklingError; NumPy/SciPy: ValueError,
#: BadZipFile; the file system: OSError).
_UNREADABLE = (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, KeyError, TypeError,
               AttributeError, IndexError, zipfile.BadZipFile, OSError)


def load_final_model(model_dir: Path, device: str | torch.device = "cpu") -> FinalModel:
    """Rebuild a final model from its folder (checkpoints read with ``weights_only=True``).

    A missing, damaged or foreign file (or ``model.json`` entry) is an InputError naming it.
    """
    from modrp.graph import load_feature_graph
    from modrp.model import AttentionFusion, FusionModel
    from modrp.train import load_checkpoint, load_subnetwork

    model_dir = Path(model_dir)
    meta_path = model_dir / "model.json"
    if not meta_path.is_file():
        raise InputError(f"model folder {model_dir}: {_no_model_json(model_dir)}; give the "
                         "folder written by the final-model step (results/<dataset>/final)")
    try:
        meta = json.loads(meta_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise InputError(f"model folder {model_dir}: model.json is not valid JSON ({err})") \
            from err
    except OSError as err:
        raise InputError(f"model folder {model_dir}: cannot read model.json: "
                         f"{err.strerror or err}") from err
    _check_model_json(meta, model_dir)
    device = torch.device(device)
    subnetworks, scalers = {}, {}
    for omic in meta["combination"]:
        spec = meta["omics"][omic]
        checkpoint = _model_file(model_dir, spec["checkpoint"])
        graph = _model_file(model_dir, spec["graph"]) if spec["graph"] else None
        try:
            subnetworks[omic], scalers[omic], sub_meta = load_subnetwork(checkpoint, graph,
                                                                         device)
            matches = sub_meta["drugs"] == meta["drugs"] \
                and sub_meta["features"] == spec["features"]
        except _UNREADABLE as err:
            culprit = spec["checkpoint"]
            if graph is not None:  # which of the two files is it?
                try:
                    load_feature_graph(graph)
                except _UNREADABLE:
                    culprit = spec["graph"]
            raise _unreadable(model_dir, culprit, err) from err
        if not matches:
            raise InputError(f"model folder {model_dir}: {spec['checkpoint']} does not match "
                             "model.json (drugs or features differ)")
    fusion_name = meta["fusion"]["checkpoint"]
    fusion_path = _model_file(model_dir, fusion_name)
    try:
        fusion_checkpoint = load_checkpoint(fusion_path, device)
        fusion = AttentionFusion(len(meta["combination"]), len(meta["drugs"]))
        fusion.load_state_dict(fusion_checkpoint["state_dict"])
    except _UNREADABLE as err:
        raise _unreadable(model_dir, fusion_name, err) from err
    network = FusionModel(subnetworks, fusion).to(device).eval()
    drug_name = meta.get("drug_table", "drugs.parquet")
    drug_path = model_dir / drug_name
    try:
        drug_table = pd.read_parquet(drug_path) if drug_path.is_file() else \
            pd.DataFrame({"drug": meta["drugs"]})
    except _UNREADABLE as err:
        raise _unreadable(model_dir, drug_name, err) from err
    if "drug" not in drug_table:
        raise InputError(f"model folder {model_dir}: {drug_name} has no 'drug' column; the "
                         f"folder is damaged or was not written by this version of modrp")
    return FinalModel(model_dir, meta, network, scalers, drug_table, device)


def _no_model_json(model_dir: Path) -> str:
    """Why ``model_dir`` is no model folder, naming the one it points at where it does."""
    if not model_dir.exists():
        return "does not exist"
    if model_dir.is_file():
        if model_dir.name == "model.json":
            return f"is the model's model.json, not its folder ({model_dir.parent})"
        return "is a file, not a folder"
    inside = sorted(str(c) for c in model_dir.glob("*/model.json"))
    if inside:
        return (f"no model.json; the folder inside it {Path(inside[0]).parent} holds one"
                f"{f' (and {len(inside) - 1} other)' if len(inside) > 1 else ''}")
    return "no model.json"


def _unreadable(model_dir: Path, name: str, err: BaseException) -> InputError:
    if isinstance(err, PermissionError) or (isinstance(err, OSError)
                                            and getattr(err, "filename", None) is not None):
        # the file could not be opened; other OSErrors (an EINVAL from seeking in a
        # truncated checkpoint) are damage, below
        return InputError(f"model folder {model_dir}: cannot read {name}: "
                          f"{err.strerror or err}")
    reason = (str(err).strip().splitlines() or [""])[0].split(". ")[0].rstrip(".")
    reason = reason if len(reason) <= 120 else reason[:117] + "..."
    reason = f"{type(err).__name__}: {reason}" if reason else type(err).__name__
    return InputError(f"model folder {model_dir}: {name} cannot be loaded ({reason}); "
                      "the folder is damaged or was not written by this version of modrp "
                      "(copy the whole folder again, or train the final model again)")


def _check_model_json(meta, model_dir: Path) -> None:
    """The entries of ``model.json`` that loading and predicting read, with their types."""
    where = f"model folder {model_dir}: model.json"
    damaged = "the folder is damaged or was not written by this version of modrp"
    if not isinstance(meta, dict):
        raise InputError(f"{where} holds a JSON {type(meta).__name__}, expected an object "
                         f"with the model's description; {damaged}")
    if meta.get("format") != MODEL_FORMAT:
        raise InputError(f"{where} has format {meta.get('format')!r}; this modrp reads "
                         f"format {MODEL_FORMAT}")

    def need(holder: dict, key: str, kind, label: str):
        if key not in holder:
            raise InputError(f"{where} lacks the entry {label!r}; {damaged}")
        if not isinstance(holder[key], kind) or isinstance(holder[key], bool):
            raise InputError(f"{where}: the entry {label!r} is {holder[key]!r}, expected "
                             f"{_KIND_NAMES.get(kind, 'a value of another type')}; {damaged}")
        return holder[key]

    combination = need(meta, "combination", list, "combination")
    if not combination or not all(isinstance(o, str) for o in combination):
        raise InputError(f"{where}: the entry 'combination' is {combination!r}, expected a "
                         f"non-empty list of omics; {damaged}")
    drugs = need(meta, "drugs", list, "drugs")
    if not drugs or not all(isinstance(d, str) for d in drugs):
        raise InputError(f"{where}: the entry 'drugs' must be a non-empty list of drug names; "
                         f"{damaged}")
    need(meta, "name", str, "name")
    need(meta, "max_missing_features", int | float, "max_missing_features")
    omics = need(meta, "omics", dict, "omics")
    for omic in combination:
        spec = need(omics, omic, dict, f"omics.{omic}")
        need(spec, "checkpoint", str, f"omics.{omic}.checkpoint")
        need(spec, "graph", str | None, f"omics.{omic}.graph")
        need(spec, "features", list, f"omics.{omic}.features")
    need(need(meta, "fusion", dict, "fusion"), "checkpoint", str, "fusion.checkpoint")
    if "drug_table" in meta:
        need(meta, "drug_table", str, "drug_table")
    if "config" in meta:
        need(meta, "config", dict, "config")


_KIND_NAMES = {list: "a list", dict: "an object", str: "a string",
               int | float: "a number", str | None: "a string or null"}


def _model_file(model_dir: Path, name: str) -> Path:
    path = model_dir / name
    if not path.is_file():
        raise InputError(f"model folder {model_dir}: {name} is missing; the folder is "
                         "incomplete (copy the whole folder)")
    return path


# --------------------------------------------------------------------------- predicting


def predict_lines(model: FinalModel, omics: dict[str, pd.DataFrame],
                  max_missing_features: float | None = None) -> pd.DataFrame:
    """Predicted ln IC50, lines x drugs (the model's drug order).  See
    :func:`predict_with_report` for the input checks; this drops the report."""
    return predict_with_report(model, omics, max_missing_features)[0]


def predict_with_report(model: FinalModel, omics: dict[str, pd.DataFrame],
                        max_missing_features: float | None = None
                        ) -> tuple[pd.DataFrame, dict]:
    """Check and align ``omics`` ({omic: lines x features}) to the model, then predict.

    - omics the model does not read are ignored (noted in the report); an omic it
      reads but the input lacks is an error naming it;
    - duplicated cell-line ids in a matrix are an error naming them;
    - lines absent from some of the model's omics are dropped (listed in the report);
      none left is an error;
    - features the model needs but the input lacks, and NaN values, are set to the
      training mean (0 after standardization) and counted per omic; more than
      ``max_missing_features`` (default: the model's ``max_missing_features``) of an
      omic's features missing overall, or for one line, is an error;
    - extra features are ignored (counted); non-numeric or infinite values are errors;
    - lines far outside the training data (median |z| over an omic's features above
      ``FAR_MEDIAN_Z``: other units or scale) and single values beyond ``far_value_z``
      training standard deviations (at least 20, and farther than any training value can
      lie) are counted, for a warning, not refused.

    Returns the predictions and the report ``{"lines", "dropped_lines", "ignored_omics",
    "omics": {omic: counts}}``.
    """
    limit = model.meta["max_missing_features"] if max_missing_features is None \
        else float(max_missing_features)
    if not 0 <= limit <= 1:
        raise InputError(f"--max-missing-features must be between 0 and 1, got {limit}")
    combination = model.combination
    given = {str(k): v for k, v in omics.items()}
    ignored = sorted(set(given) - set(combination))
    missing = [o for o in combination if o not in given]
    if missing:
        raise InputError(f"the model {model.meta['name']} needs the omics {combination}; the "
                         f"input lacks {missing} (it has {sorted(given) or 'none'})")
    zero_filled = {o: bool(given[o].attrs.get(ABSENT_IS_ZERO, False)) for o in combination}
    matrices = {o: _as_numeric_matrix(given[o], o) for o in combination}
    common = matrices[combination[0]].index
    for omic in combination[1:]:
        common = common[common.isin(matrices[omic].index)]
    every = pd.Index(sorted(set().union(*(set(m.index) for m in matrices.values()))))
    dropped = sorted(set(every) - set(common))
    empty = [o for o in combination if len(matrices[o].index) == 0]  # no rows (columns may)
    if empty:
        raise InputError(f"input {empty[0]!r}: the matrix holds no cell line")
    if len(common) == 0:
        examples = {o: m.index[:3].tolist() for o, m in matrices.items()}
        raise InputError(f"no cell line is present in every omic the model needs {combination} "
                         f"(ids per omic, e.g. {examples}); use the same ids in every file"
                         f"{_id_hint(model, matrices)}")
    report = {"lines": int(len(common)), "dropped_lines": dropped, "ignored_omics": ignored,
              "omics": {}}
    inputs = {}
    for omic in combination:
        inputs[omic], report["omics"][omic] = _aligned_input(
            model, omic, matrices[omic].loc[common], limit, zero_filled[omic])
    predicted = _predict_arrays(model, inputs)
    frame = pd.DataFrame(predicted.astype(np.float64), index=pd.Index(common, name="cell_line"),
                         columns=pd.Index(model.drugs, name="drug"))
    return frame, report


def _id_hint(model: FinalModel, matrices: dict[str, pd.DataFrame]) -> str:
    """A likely cause of ids that differ between omics: a matrix written transposed, or
    real source files read without sample_info.csv (DepMap ids, CCLE names, COSMIC ids)."""
    for omic, matrix in matrices.items():
        genes = set(model.features(omic))
        if len(matrix) and sum(i in genes for i in matrix.index) > len(matrix) / 2:
            return (f"; the {omic!r} matrix looks transposed: its row ids are the model's "
                    "features, and its rows must be cell lines")
    depmap = [o for o, m in matrices.items()
              if len(m) and all(str(i).startswith("ACH-") for i in m.index[:20])]
    if depmap and len(depmap) < len(matrices):
        return (f"; {depmap} use DepMap ids (ACH-...) and the others do not: real CCLE "
                "files are mapped to the other files' ids through sample_info.csv (pass it as "
                "one more --omics item, or in the folder); matrices of your own must all use "
                "the same ids")
    return ""


def _as_numeric_matrix(frame: pd.DataFrame, omic: str) -> pd.DataFrame:
    from modrp.sources._common import to_numeric_matrix

    what = f"input {omic!r} matrix"
    frame = frame.copy()
    frame.index = frame.index.astype(str)
    frame.columns = frame.columns.astype(str)
    duplicated = frame.index[frame.index.duplicated()]
    if len(duplicated):
        raise InputError(f"{what}: duplicated cell-line ids {list(dict.fromkeys(duplicated))[:5]}"
                         f"{' ...' if len(set(duplicated)) > 5 else ''}; each id must appear "
                         "once")
    if frame.columns.duplicated().any():
        raise InputError(f"{what}: duplicated feature columns "
                         f"{list(dict.fromkeys(frame.columns[frame.columns.duplicated()]))[:5]}")
    if not all(pd.api.types.is_numeric_dtype(t) for t in frame.dtypes):
        frame = to_numeric_matrix(frame, what, "(input)")
    values = frame.to_numpy(dtype=np.float64)
    if np.isinf(values).any():
        row, col = np.argwhere(np.isinf(values))[0]
        raise InputError(f"{what}: infinite value at line {frame.index[row]!r}, feature "
                         f"{frame.columns[col]!r}")
    return frame


def _aligned_input(model: FinalModel, omic: str, matrix: pd.DataFrame, limit: float,
                   absent_is_zero: bool) -> tuple[np.ndarray, dict]:
    """Standardized (lines, model features) array; missing features and NaN -> 0 (the
    training mean); with ``absent_is_zero`` (a variant table) absent genes are 0 raw."""
    features = model.features(omic)
    n = len(features)
    present = pd.Index(features).isin(matrix.columns)
    absent = [f for f, p in zip(features, present, strict=True) if not p]
    extra = int((~matrix.columns.isin(features)).sum())
    counts = {"features_model": n, "features_given": int(present.sum()),
              "features_missing": 0 if absent_is_zero else len(absent),
              "features_absent_set_to_zero": len(absent) if absent_is_zero else 0,
              "missing_examples": [] if absent_is_zero else absent[:5],
              "features_extra_ignored": extra, "nan_values_filled": 0}
    if not absent_is_zero and len(absent) > limit * n + 1e-9:
        unknown = matrix.columns[~matrix.columns.isin(features)][:5].tolist()
        named = (f" (its own features the model does not know are e.g. {unknown}: other "
                 "names or ids for them?)") if unknown else ""
        raise InputError(
            f"input {omic!r}: {len(absent)} of the model's {n} features "
            f"({len(absent) / n:.0%}) are absent, e.g. {absent[:5]}{named}; at most "
            f"{limit:.0%} may be missing (--max-missing-features)")
    aligned = matrix.reindex(columns=features)
    if absent_is_zero and absent:
        aligned[absent] = 0.0
    nan = aligned.isna().to_numpy()
    counts["nan_values_filled"] = int(nan[:, present].sum())
    per_line = nan.sum(axis=1) / n
    too_many = np.flatnonzero(per_line > limit + 1e-9)
    if len(too_many):
        shown = [f"{matrix.index[i]} ({per_line[i]:.0%})" for i in too_many[:5]]
        raise InputError(
            f"input {omic!r}: {len(too_many)} line(s) lack more than {limit:.0%} of the model's "
            f"{n} features (absent or NaN): {', '.join(shown)}; --max-missing-features sets "
            "the limit")
    values = model.scalers[omic].transform(aligned)
    values[nan] = 0.0  # the training mean, standardized
    counts.update(_far_from_training(values, matrix.index, far_value_z(model, omic)))
    counts.update(_off_scale(aligned, model.scalers[omic], matrix.index,
                             model.meta["omics"][omic].get("scale_slopes")))
    return values.astype(np.float32), counts


#: A line whose median |z| over an omic's features exceeds this is reported as far outside
#: the training data: more than half its features would lie beyond 3 standard deviations.
#: On the demo's training lines the largest median |z| of any omic is 1.24 (RPPA); a 0/1
#: feature kept by the preprocessing filters (at least 5% of lines mutated) is at most 4.4
#: standard deviations from its mean, but a line's median over all features is set by the
#: many it does not carry.  The demo's expression given as TPM instead of log2(TPM + 1)
#: gives 10 or more; standardized per gene (z-scores, a common way to share expression)
#: 3.5-3.8, where the predictions lose all skill (per-drug R2 0.77 -> 0.02 on the final
#: model's own lines).
FAR_MEDIAN_Z = 3.0
#: The least |z| at which a single value is counted as far outside the training data.
FAR_VALUE_Z = 20.0


def far_value_z(model: FinalModel, omic: str) -> float:
    """The |z| beyond which a single value of ``omic`` is counted as far outside the training
    data: FAR_VALUE_Z, or sqrt(n - 1) for the n lines its standardization was fit on when
    larger.  With the population standard deviation no value among n can lie farther from
    their mean than sqrt(n - 1) of them, so an ordinary training-like outlier never counts."""
    spec = model.meta["omics"][omic]
    n = int(spec.get("n_train", 0)) + int(spec.get("n_validation", 0))
    return max(FAR_VALUE_Z, float(np.sqrt(max(n - 1, 0))))


def _far_from_training(z: np.ndarray, lines: pd.Index, value_z: float) -> dict:
    """Counts of what lies far outside the training data in a standardized (lines,
    features) array: whole lines (median |z| > FAR_MEDIAN_Z: other units or scale) and
    single values (|z| > ``value_z``)."""
    magnitude = np.abs(z)
    median = np.median(magnitude, axis=1) if z.shape[1] else np.zeros(len(lines))
    far = np.flatnonzero(median > FAR_MEDIAN_Z)
    return {"lines_far_from_training": int(len(far)),
            "far_line_examples": [f"{lines[i]} (median |z| {median[i]:.1f})" for i in far[:3]],
            "values_far_from_training": int((magnitude > value_z).sum()),
            "far_value_z": round(value_z, 1)}


#: An omic whose training means spread across its features by at least this many median
#: per-feature standard deviations shows the scale of a line's values: regressed on the
#: features' training means, the values of a line in the training data's units have a
#: slope near 1.  Expression, where each gene has a level of its own, spreads 1.5 on the
#: demo and metabolites 1.7; mutations, copy number and RPPA 0.1-0.5, where the slope
#: says nothing.
SCALE_SPREAD = 1.0
#: A new line is reported as on another scale when its slope lies outside the range of
#: the final model's own lines' slopes (``scale_slopes`` in model.json) widened by this
#: factor.  On the demo's final model its own lines span 0.94-1.05 (expression) and
#: 0.77-1.16 (metabolites, 50 features), 300 new demo lines 0.94-1.05 and 0.77-1.23 (none
#: reported; 1 at a factor of 1.05); the same expression as natural logs, where the model
#: was trained on log2, gives 0.65-0.73 (a median |z| of only 1.1-1.3, which the far-line
#: check cannot tell from ordinary lines), as log10 0.28-0.32, standardized per gene ~0.
SCALE_MARGIN = 1.10


def scale_slopes(raw: pd.DataFrame, scaler) -> np.ndarray | None:
    """Per line of ``raw`` (lines x the scaler's features, NaN where not given), the slope
    of its values regressed on the features' training means, over the features it gives;
    None for an omic whose means do not spread enough to tell (:data:`SCALE_SPREAD`)."""
    mean = np.asarray(scaler.mean, dtype=np.float64)
    if len(mean) < 10 or mean.std() < SCALE_SPREAD * np.median(
            np.asarray(scaler.scale, dtype=np.float64)):
        return None
    values = raw.to_numpy(dtype=np.float64)
    means = np.where(np.isnan(values), np.nan, mean)
    with np.errstate(invalid="ignore", divide="ignore"):
        centred = means - np.nanmean(means, axis=1, keepdims=True)
        return (np.nansum((values - np.nanmean(values, axis=1, keepdims=True)) * centred,
                          axis=1) / np.nansum(centred ** 2, axis=1))


def _off_scale(raw: pd.DataFrame, scaler, lines: pd.Index, trained: list | None) -> dict:
    """Lines whose :func:`scale_slopes` lie outside ``trained`` (the model's own lines'
    range) widened by :data:`SCALE_MARGIN`; none where the model recorded no range."""
    slopes = scale_slopes(raw, scaler) if trained else None
    if slopes is None:
        return {"lines_off_scale": 0, "off_scale_examples": [], "scale_range": None}
    low, high = trained[0] / SCALE_MARGIN, trained[1] * SCALE_MARGIN
    with np.errstate(invalid="ignore"):
        off = np.flatnonzero((slopes < low) | (slopes > high))
    return {"lines_off_scale": int(len(off)),
            "off_scale_examples": [f"{lines[i]} (slope {slopes[i]:.2f})" for i in off[:3]],
            "scale_range": [round(float(low), 2), round(float(high), 2)]}


@torch.no_grad()
def _predict_arrays(model: FinalModel, inputs: dict[str, np.ndarray]) -> np.ndarray:
    network = model.network.eval()
    n = next(iter(inputs.values())).shape[0]
    out = []
    for start in range(0, n, PREDICT_BATCH):
        chunk = {o: torch.as_tensor(np.ascontiguousarray(v[start:start + PREDICT_BATCH]),
                                    device=model.device) for o, v in inputs.items()}
        out.append(network(chunk).cpu().numpy())
    return np.concatenate(out, axis=0)


def drug_ranking(model: FinalModel, predicted: pd.DataFrame) -> pd.DataFrame:
    """Long table ``cell_line, rank, drug, predicted_ln_ic50[, target, pathway]``: per line,
    drugs from the lowest predicted ln IC50 (most effective) to the highest."""
    long = predicted.rename_axis(index="cell_line", columns="drug").stack().rename(
        "predicted_ln_ic50").reset_index()
    line_order = pd.Series(np.arange(len(predicted)), index=predicted.index.astype(str))
    long["_line"] = long["cell_line"].astype(str).map(line_order)
    long = long.sort_values(["_line", "predicted_ln_ic50", "drug"], kind="mergesort")
    long["rank"] = long.groupby("_line").cumcount() + 1
    columns = ["cell_line", "rank", "drug", "predicted_ln_ic50"]
    table = model.drug_table.drop_duplicates("drug").set_index("drug")
    for column in ("target", "pathway"):
        if column in table:
            long[column] = long["drug"].map(table[column])
            columns.append(column)
    return long[columns].reset_index(drop=True)


# --------------------------------------------------------------------------- reading inputs


def read_new_profiles(paths, preprocess: dict | None = None) -> dict[str, pd.DataFrame]:
    """Read new cell lines' profiles into {omic: lines x features} (ids as strings).

    ``paths`` is one item or a list of them, each:

    - ``omic=path``: a custom matrix for that omic (a real source file when ``path`` has
      that omic's source file name);
    - a file named ``<omic>.<csv|tsv|txt|parquet>``: a custom matrix (rows cell lines,
      first column the id, other columns features; NaN allowed, filled at prediction);
    - a real source file by its name (``CCLE_expression.csv``, ``CCLE_mutations.csv``,
      ``Gene_level_CN.xlsx``, ``CCLE_RPPA_20181003.csv``, ``CCLE_metabolomics_20190502.csv``,
      or DepMap's newer names of :data:`NEWER_REAL_FILES`; the text ones also gzipped,
      with ``.gz`` after the name);
    - a directory: every file of the two kinds above inside it, plus ``sample_info.csv``
      or ``Model.csv``.

    Real files are parsed by :mod:`modrp.sources` and encoded as preprocessing encodes
    them (``preprocess``: the model's ``config.preprocess``; schema defaults when None):
    mutation classes in ``mutation_excluded_classes`` do not count, CNV is the alteration
    state with unknown copy number neutral, RPPA one feature per antibody, metabolites
    as measured.  Their ids become DepMap ids (``ACH-...``): the metabolomics file's own
    ``DepMap_ID`` column where it gives one, else through ``sample_info.csv`` or
    ``Model.csv`` (a directory's own, or one given as an item) where it knows them; a line
    neither knows keeps the file's own id (CCLE name for RPPA and metabolomics, COSMIC id
    for copy number), so it meets the other omics only if they use that id too.
    """
    items = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
    if not items:
        raise InputError("no omics input given")
    custom: dict[str, Path] = {}
    real: dict[str, Path] = {}
    sample_info = None

    def add(target: dict, omic: str, path: Path):
        if omic in custom or omic in real:
            earlier = custom.get(omic) or real.get(omic)
            raise InputError(f"omic {omic!r} is given twice: {earlier} and {path}")
        target[omic] = path

    def set_sample_info(path: Path):
        nonlocal sample_info
        if sample_info is not None and sample_info != path:
            raise InputError(f"two cell-line tables given: {sample_info} and {path}; give "
                             f"one ({SAMPLE_INFO} or {MODEL_TABLE})")
        sample_info = path

    for item in items:
        text = str(item)
        omic, path = _omics_item(text)
        if omic is not None:
            if omic not in _omic_order():
                raise InputError(f"{text}: unknown omic {omic!r}; expected one of "
                                 f"{list(_omic_order())}")
            kind = _classify(path)
            if kind is not None and kind[0] == "real":  # a source file keeps its layout
                if kind[1] != omic:
                    raise InputError(f"{text}: {path.name} is the source file of the omic "
                                     f"{kind[1]!r}, not {omic!r}")
                add(real, omic, path)
            else:
                add(custom, omic, path)
            continue
        if path.is_dir():
            found, skipped = False, []
            for child in sorted(path.iterdir()):
                kind = _classify(child)
                if kind is None:
                    if (child.is_file() and not child.name.startswith(".")
                            and child.name not in NOT_PROFILES):
                        skipped.append(child.name)
                    continue
                found = True
                if kind == ("sample_info", None):
                    set_sample_info(child)
                else:
                    add(custom if kind[0] == "custom" else real, kind[1], child)
            if not found:
                newer = sorted(n for names in NEWER_REAL_FILES.values() for n in names)
                raise InputError(f"{path}: no omics file recognised; expected "
                                 f"<omic>{'|'.join(_TABLE_SUFFIXES)} (omics "
                                 f"{list(_omic_order())}) or the source files "
                                 f"{sorted(REAL_FILES.values())} (or DepMap's newer {newer})")
            if skipped:  # said, so that a file misnamed is not silently left out
                log.warning("%s: %d file(s) not read, not named as an omic (<omic>%s) or "
                            "a source file: %s", path, len(skipped), "|".join(_TABLE_SUFFIXES),
                            ", ".join(skipped[:5]) + (" ..." if len(skipped) > 5 else ""))
            continue
        if not path.exists():
            raise InputError(f"omics input {path}: file not found")
        kind = _classify(path)
        if kind is None:
            raise InputError(f"omics input {path}: cannot tell which omic it holds; name it "
                             f"<omic>.csv (omics {list(_omic_order())}), give it as "
                             "omic=path, or use a source file name such as "
                             f"{REAL_FILES['exp']}")
        if kind == ("sample_info", None):
            set_sample_info(path)
        else:
            add(custom if kind[0] == "custom" else real, kind[1], path)

    profiles = {omic: read_custom_matrix(path, omic) for omic, path in custom.items()}
    if real:
        profiles.update(read_source_profiles(real, sample_info, preprocess))
    return {o: profiles[o] for o in _omic_order() if o in profiles}


def _omics_item(text: str) -> tuple[str | None, Path]:
    """An ``--omics`` item as (omic, path) when it is written ``omic=path`` (and names no
    existing file as a whole), else (None, the item as a path)."""
    match = re.fullmatch(r"([A-Za-z]+)=(.+)", text)
    if match and not Path(text).exists():
        return match[1], Path(match[2])
    return None, Path(text)


def _classify(path: Path):
    name = path.name
    # a text source file gzipped as it was (CCLE_expression.csv.gz): the readers take .gz
    gunzipped = name[:-3] if name.endswith(".gz") and not name.endswith(".xlsx.gz") else None
    for omic, real_name in REAL_FILES.items():
        known = (real_name, *NEWER_REAL_FILES.get(omic, ()))
        if name in known or gunzipped in known:
            return ("real", omic)
    if name in (SAMPLE_INFO, MODEL_TABLE) or gunzipped in (SAMPLE_INFO, MODEL_TABLE):
        return ("sample_info", None)
    lower = name.lower()
    for suffix in _TABLE_SUFFIXES:
        if lower.endswith(suffix) and name[: -len(suffix)] in _omic_order():
            return ("custom", name[: -len(suffix)])
    return None


def read_custom_matrix(path, omic: str) -> pd.DataFrame:
    """A custom omic matrix (rows cell lines, first column the id); NaN kept."""
    from modrp.sources.custom import read_omic_matrix

    return read_omic_matrix(path, omic, what=f"{omic} matrix", allow_missing=True)


def _default_preprocess() -> dict:
    from modrp.config import validate_config

    return validate_config({"dataset": "x", "data": {"source": "demo"}})["preprocess"]


def read_source_profiles(files: dict[str, Path], sample_info: Path | None = None,
                         preprocess: dict | None = None) -> dict[str, pd.DataFrame]:
    """Real source files ({omic: path}) -> {omic: lines x features}, encoded as
    :func:`modrp.preprocess.load_source_files` encodes them, ids mapped to DepMap ids
    through ``sample_info`` where it knows them (see :func:`read_new_profiles`)."""
    from modrp.preprocess import mutation_matrix
    from modrp.sources import ccle, depmap, gdsc

    pre = {**_default_preprocess(), **(preprocess or {})}
    by_ccle = by_cosmic = pd.Series(dtype=object)
    if sample_info is not None:
        info = depmap.read_sample_info(sample_info)
        by_ccle = info.dropna(subset=["ccle_name"]).drop_duplicates("ccle_name") \
            .set_index("ccle_name")["depmap_id"]
        by_cosmic = info.dropna(subset=["cosmic_id"]).drop_duplicates("cosmic_id") \
            .set_index("cosmic_id")["depmap_id"]
    profiles = {}
    if "exp" in files:
        profiles["exp"] = depmap.read_expression(files["exp"])
    if "mut" in files:
        variants = depmap.read_mutations(files["mut"])
        # The DepMap id decides; the CCLE name only where the DepMap id is empty.
        line = variants["depmap_id"].where(variants["depmap_id"] != "")
        line = line.fillna(variants["ccle_name"].map(by_ccle)).fillna(variants["ccle_name"])
        matrix = mutation_matrix(variants.assign(line=line),
                                 pre.get("mutation_excluded_classes", []),
                                 pre.get("mutation_deleterious_only", False))
        profiles["mut"] = matrix
    if "cnv" in files:
        matrix = gdsc.read_gene_level_cn(files["cnv"], pre.get("cnv_amplification_min_cn", 8))
        profiles["cnv"] = _mapped(matrix.fillna(0.0), by_cosmic)  # unknown CN is neutral
    if "rppa" in files:
        profiles["rppa"] = _mapped(ccle.read_rppa(files["rppa"]), by_ccle)
    if "metabolites" in files:
        # the file's own DepMap ids first, as for mutations; rows of one line under two
        # CCLE names averaged, as preprocessing does
        own = ccle.read_metabolomics_ids(files["metabolites"])
        matrix = _mapped(ccle.read_metabolomics(files["metabolites"]),
                         pd.concat([by_ccle[~by_ccle.index.isin(own.index)], own]))
        if matrix.index.duplicated().any():
            log.warning("%s: %d line(s) under several CCLE names, averaged", files["metabolites"],
                        matrix.index[matrix.index.duplicated()].nunique())
            matrix = matrix.groupby(level=0, sort=False).mean()
        profiles["metabolites"] = matrix
    for omic, matrix in profiles.items():
        matrix = matrix.astype(np.float32)
        matrix.index = matrix.index.astype(str)
        matrix.index.name = "cell_line"
        matrix.columns = matrix.columns.astype(str)
        matrix.columns.name = "feature"
        duplicated = matrix.index[matrix.index.duplicated()]
        if len(duplicated):
            table = Path(sample_info).name if sample_info is not None else SAMPLE_INFO
            raise InputError(f"{files[omic]}: after mapping ids with {table}, the ids "
                             f"{list(dict.fromkeys(duplicated))[:5]} appear more than once")
        matrix.attrs[ABSENT_IS_ZERO] = omic == "mut"
        profiles[omic] = matrix
    return profiles


def _mapped(matrix: pd.DataFrame, mapping: pd.Series) -> pd.DataFrame:
    """Rows renamed through ``mapping`` where it knows them, else kept."""
    known = mapping.to_dict()
    matrix = matrix.copy()
    matrix.index = pd.Index([known.get(i, i) for i in matrix.index.astype(str)])
    return matrix


def check_ranking_target(out: Path, model_dir: Path, omics_items) -> None:
    """The ranking must not replace its own inputs: a file given in ``omics_items`` (as
    ``path`` or ``omic=path``) or read from a folder given there, or any file inside the
    model folder.  A ``model_dir`` that holds no model.json is left to
    :func:`load_final_model`, which says what it is (the results folder above the model,
    say): 'inside the model folder' would be wrong."""
    target = Path(out).resolve()
    model_dir = Path(model_dir)
    if (model_dir / "model.json").is_file() and target.is_relative_to(model_dir.resolve()):
        raise InputError(f"--out: {out} is inside the model folder {model_dir}; write the "
                         "ranking elsewhere")
    for item in omics_items:
        _, path = _omics_item(str(item))
        # a folder's inputs are the files in it that read_new_profiles reads
        read_from_folder = (path.is_dir() and target.parent == path.resolve()
                            and target.exists() and _classify(target) is not None)
        if path.resolve() == target or read_from_folder:
            raise InputError(f"--out: {out} is one of the --omics inputs; write the ranking "
                             "elsewhere")


def write_ranking(ranking: pd.DataFrame, path: Path) -> None:
    """Write the ranking CSV atomically (a path that cannot be written is an InputError)."""
    from modrp.io import atomic_path, check_output_file

    path = check_output_file(path, "ranking")
    try:
        with atomic_path(path) as tmp:
            ranking.to_csv(tmp, index=False, float_format="%.5f")
    except OSError as err:
        raise InputError(f"ranking: cannot write {path}: {err.strerror or err}") from err


def report_lines(model: FinalModel, report: dict) -> list[str]:
    """A short human summary of :func:`predict_with_report`'s report."""
    lines = [f"model {model.meta['name']} ({model.directory}): {report['lines']} cell line(s) "
             f"x {len(model.drugs)} drugs predicted"]
    for omic, c in report["omics"].items():
        text = (f"  {omic}: {c['features_given']} of {c['features_model']} model features "
                f"given; {c['features_missing']} missing and {c['nan_values_filled']} NaN "
                f"value(s) set to the training mean; {c['features_extra_ignored']} extra "
                "feature(s) ignored")
        if c["features_absent_set_to_zero"]:
            text += (f"; {c['features_absent_set_to_zero']} gene(s) without a variant in the "
                     "mutation table set to 0 (not mutated)")
        if c["missing_examples"]:
            text += f" (missing e.g. {', '.join(c['missing_examples'][:3])})"
        lines.append(text)
        if c["lines_far_from_training"]:
            lines.append(
                f"  WARNING {omic}: {c['lines_far_from_training']} line(s) lie far outside the "
                f"training data (median |z| over the features > {FAR_MEDIAN_Z:g}, e.g. "
                f"{', '.join(c['far_line_examples'])}): check that the values are in the "
                "training data's units and scale; their predictions are not to be trusted")
        if c.get("lines_off_scale"):
            lines.append(
                f"  WARNING {omic}: {c['lines_off_scale']} line(s) on another scale than the "
                "training data: regressed on the features' training means, the model's own "
                f"lines have slopes {c['scale_range'][0]:.2f}-{c['scale_range'][1]:.2f} "
                "(widened by 10%), these "
                f"{', '.join(c['off_scale_examples'])} (values in natural logs where the "
                "model was trained on log2 give 0.69 times their own, log10 0.30): check the "
                "units; their predictions are not to be trusted")
        if c["values_far_from_training"]:
            lines.append(
                f"  WARNING {omic}: {c['values_far_from_training']} value(s) more than "
                f"{c['far_value_z']:g} training standard deviations from the feature's "
                "training mean, farther than any training value")
    if report["ignored_omics"]:
        lines.append(f"  ignored omics (not read by this model): "
                     f"{', '.join(report['ignored_omics'])}")
    if report["dropped_lines"]:
        shown = ", ".join(report["dropped_lines"][:5])
        lines.append(f"  {len(report['dropped_lines'])} line(s) left out, not present in every "
                     f"omic the model needs: {shown}"
                     f"{' ...' if len(report['dropped_lines']) > 5 else ''}")
    return lines
