"""The custom source's readers keep ids exactly as written (no number guessing), refuse
empty ids and feature columns given twice, for matrices and the response table alike."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest

from modrp.config import validate_config
from modrp.errors import InputError
from modrp.predict import read_new_profiles
from modrp.preprocess import load_custom_files
from modrp.sources import custom

SEPARATORS = {".csv": ",", ".tsv": "\t", ".csv.gz": ","}


def write_text(path, lines: list[list[str]], separator: str):
    text = "".join(separator.join(cells) + "\n" for cells in lines)
    if str(path).endswith(".gz"):
        with gzip.open(path, "wt") as handle:
            handle.write(text)
    else:
        path.write_text(text)
    return path


@pytest.mark.parametrize("suffix", list(SEPARATORS))
def test_matrix_ids_are_kept_as_written(tmp_path, suffix):
    path = write_text(tmp_path / f"exp{suffix}",
                      [["id", "G1", "G2"], ["001003095", "1.5", "2"], [" 0042 ", "3", ""],
                       ["NA", "4", "5"], ["1e3", "6", "7"]], SEPARATORS[suffix])
    matrix = custom.read_omic_matrix(path, "exp", allow_missing=True)
    assert matrix.index.tolist() == ["001003095", "0042", "NA", "1e3"]
    assert matrix.columns.tolist() == ["G1", "G2"]
    assert matrix.loc["001003095", "G1"] == np.float32(1.5) and np.isnan(matrix.loc["0042", "G2"])
    assert matrix.dtypes.unique().tolist() == [np.float32]
    # the predict path reads the same way
    assert read_new_profiles(path)["exp"].index.tolist() == matrix.index.tolist()


@pytest.mark.parametrize("suffix", list(SEPARATORS))
def test_an_empty_matrix_id_is_an_error_naming_file_and_row(tmp_path, suffix):
    path = write_text(tmp_path / f"exp{suffix}",
                      [["id", "G1"], ["001003095", "1"], ["", "2"], ["7", "3"]],
                      SEPARATORS[suffix])
    with pytest.raises(InputError, match=rf"{path.name}: the column 'id' is empty in row 2 "
                                         r"\(line 3 of the file\); expected a cell-line id"):
        custom.read_omic_matrix(path, "exp")


@pytest.mark.parametrize("suffix", list(SEPARATORS))
def test_a_feature_column_given_twice_is_an_error(tmp_path, suffix):
    path = write_text(tmp_path / f"mut{suffix}",
                      [["id", "TP53", "KRAS", "TP53", "EGFR", "KRAS"],
                       ["a", "1", "0", "1", "0", "0"]],
                      SEPARATORS[suffix])
    with pytest.raises(InputError, match=rf"{path.name}: duplicated column names in the header: "
                                         r"\['TP53', 'KRAS'\]"):
        custom.read_omic_matrix(path, "mut")
    # a column really named like pandas' renamed copy is no duplicate
    path = write_text(tmp_path / f"rppa{suffix}", [["id", "X", "X.1"], ["a", "1", "2"]],
                      SEPARATORS[suffix])
    assert custom.read_omic_matrix(path, "rppa").columns.tolist() == ["X", "X.1"]


@pytest.mark.parametrize("suffix", list(SEPARATORS))
def test_feature_names_lose_the_spaces_around_them(tmp_path, suffix):
    path = write_text(tmp_path / f"exp{suffix}", [["id", "TP53", " MDM2", "EGFR "],
                                                   ["a", "1", "2", "3"]], SEPARATORS[suffix])
    assert custom.read_omic_matrix(path, "exp").columns.tolist() == ["TP53", "MDM2", "EGFR"]
    path = write_text(tmp_path / f"cnv{suffix}", [["id", "TP53", " TP53"], ["a", "1", "2"]],
                      SEPARATORS[suffix])
    with pytest.raises(InputError, match="duplicated feature columns"):
        custom.read_omic_matrix(path, "cnv")


def test_parquet_ids_become_text_without_a_float_detour(tmp_path):
    values = {"G1": [1.0, 2.0]}
    pd.DataFrame({"id": ["001003095", "0042"], **values}).to_parquet(tmp_path / "a.parquet")
    assert custom.read_omic_matrix(tmp_path / "a.parquet", "exp").index.tolist() == \
        ["001003095", "0042"]
    pd.DataFrame({"id": [1003095, 42], **values}).to_parquet(tmp_path / "b.parquet")
    assert custom.read_omic_matrix(tmp_path / "b.parquet", "exp").index.tolist() == \
        ["1003095", "42"]
    pd.DataFrame({"id": [1003095.0, 42.0], **values}).to_parquet(tmp_path / "c.parquet")
    assert custom.read_omic_matrix(tmp_path / "c.parquet", "exp").index.tolist() == \
        ["1003095", "42"]
    pd.DataFrame(values, index=pd.Index([7, 8], name="cell")).to_parquet(tmp_path / "d.parquet")
    assert custom.read_omic_matrix(tmp_path / "d.parquet", "exp").index.tolist() == ["7", "8"]
    pd.DataFrame({"id": [1003095.0, np.nan], **values}).to_parquet(tmp_path / "e.parquet")
    with pytest.raises(InputError, match=r"e\.parquet: the column 'id' holds floating-point "
                                         r"numbers and row 2 holds nan"):
        custom.read_omic_matrix(tmp_path / "e.parquet", "exp")
    pd.DataFrame({"id": ["a", None], **values}).to_parquet(tmp_path / "f.parquet")
    with pytest.raises(InputError, match=r"f\.parquet: the column 'id' is empty in row 2;"):
        custom.read_omic_matrix(tmp_path / "f.parquet", "exp")


def test_response_ids_are_kept_as_written(tmp_path):
    path = write_text(tmp_path / "resp.csv",
                      [["cell_line", "drug", "ln_ic50"], ["001003095", "1003", "1.5"],
                       ["0042", " 5-FU ", "-2.25"]], ",")
    response = custom.read_response(path)
    assert response["cell_line"].tolist() == ["001003095", "0042"]
    assert response["drug"].tolist() == ["1003", "5-FU"]
    assert response["ln_ic50"].tolist() == [1.5, -2.25]
    path = write_text(tmp_path / "holey.csv",
                      [["cell_line", "drug", "ln_ic50"], ["001003095", "D", "1"], ["", "D", "2"]],
                      ",")
    with pytest.raises(InputError, match=r"holey\.csv: the column 'cell_line' is empty in row 2 "
                                         r"\(line 3 of the file\)"):
        custom.read_response(path)


def test_custom_source_matches_zero_padded_ids_of_matrix_and_response(tmp_path, caplog):
    rng = np.random.default_rng(0)
    ids = [f"{i:09d}" for i in range(1, 31)]
    exp = pd.DataFrame(rng.normal(size=(30, 3)), index=pd.Index(ids, name="id"),
                       columns=["TP53", "KRAS", "EGFR"])
    exp.to_csv(tmp_path / "exp.csv")
    long = pd.DataFrame([{"cell_line": c, "drug": d, "ln_ic50": rng.normal()}
                         for c in ids for d in ("D1", "D2")])
    long.to_csv(tmp_path / "resp.tsv", sep="\t", index=False)
    config = validate_config({
        "dataset": "t", "omics": ["exp"], "embedding": {"exp": "dense"},
        "data": {"source": "custom", "custom": {"omics": {"exp": str(tmp_path / "exp.csv")},
                                                "response": str(tmp_path / "resp.tsv")}}})
    data = load_custom_files(config["data"]["custom"], config)
    assert sorted(data.omics["exp"].index) == ids
    assert sorted(data.response.index) == ids
    assert set(data.cell_lines["tissue"]) == {"unknown"}
    assert data.summary["drug_selection"]["drug_ids_in_table"] == 2
    assert data.summary["drug_selection"]["drugs_keyed_by"] == "name"  # Table 8 says "drugs"
    pd.DataFrame({"cell_line": ids[:20], "tissue": ["lung", "skin"] * 10}).to_csv(
        tmp_path / "tissues.csv", index=False)
    config["data"]["custom"]["tissues"] = str(tmp_path / "tissues.csv")
    with caplog.at_level("WARNING", logger="modrp.preprocess"):
        data = load_custom_files(config["data"]["custom"], config)
    tissue = data.cell_lines.set_index("cell_line")["tissue"]
    assert tissue[ids[0]] == "lung" and tissue[ids[1]] == "skin" and tissue[ids[25]] == "unknown"
    # lines the tissue table leaves out are named, not silently one more "tissue"
    assert "10 of 30 study line(s) have no tissue in the tissue table" in caplog.text


def test_an_omic_sharing_no_line_with_the_response_is_an_error(tmp_path):
    pd.DataFrame({"id": ["a", "b"], "TP53": [1.0, 2.0]}).to_csv(tmp_path / "exp.csv",
                                                              index=False)
    pd.DataFrame({"id": ["x", "y"], "KRAS": [1.0, 0.0]}).to_csv(tmp_path / "mut.csv",
                                                              index=False)
    pd.DataFrame({"cell_line": ["a", "b"], "drug": ["D", "D"], "ln_ic50": [1.0, 2.0]}).to_csv(
        tmp_path / "r.csv", index=False)
    config = validate_config({
        "dataset": "t", "omics": ["exp", "mut"], "embedding": {"exp": "dense", "mut": "dense"},
        "data": {"source": "custom", "custom": {
            "omics": {"exp": str(tmp_path / "exp.csv"), "mut": str(tmp_path / "mut.csv")},
            "response": str(tmp_path / "r.csv")}}})
    with pytest.raises(InputError, match=r"omic 'mut': none of its 2 cell lines \(e\.g\. "
                                         r"\['x', 'y'\]\) has a drug response"):
        load_custom_files(config["data"]["custom"], config)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_edge_list_and_drug_annotations_read_csv_and_parquet_alike(tmp_path, suffix):
    edges = pd.DataFrame({"gene_a": ["TP53", "MDM2", "BRAF"], "gene_b": ["MDM2", "TP53", None]})
    drugs = pd.DataFrame({"drug": ["Nutlin-3a", "PLX-4720"], "target": ["MDM2", None],
                          "pathway": ["p53 pathway", "ERK MAPK signaling"]})
    for frame, name in ((edges, "edges"), (drugs, "drugs")):
        path = tmp_path / f"{name}{suffix}"
        frame.to_parquet(path) if suffix == ".parquet" else frame.to_csv(path, index=False)
    pairs = custom.read_edge_list(tmp_path / f"edges{suffix}")
    assert len(pairs) == 1 and sorted(pairs.iloc[0]) == ["MDM2", "TP53"]
    annotations = custom.read_drug_annotations(tmp_path / f"drugs{suffix}")
    assert annotations["drug"].tolist() == ["Nutlin-3a", "PLX-4720"]
    assert annotations["target"].tolist() == ["MDM2", ""]


def test_tissues_are_read_for_custom_data(tmp_path):
    path = write_text(tmp_path / "tissues.csv",
                      [["cell_line", "tissue"], ["001", "lung"], ["002", ""], ["003", "skin"]],
                      ",")
    tissues = custom.read_tissues(path)
    assert tissues.to_dict() == {"001": "lung", "002": "unknown", "003": "skin"}
    twice = write_text(tmp_path / "twice.csv",
                       [["cell_line", "tissue"], ["001", "lung"], ["001", "skin"]], ",")
    with pytest.raises(InputError, match=r"twice\.csv has duplicated cell-line ids"):
        custom.read_tissues(twice)


@pytest.mark.parametrize("name, text, expected, found", [
    ("exp.csv", "id;G1;G2\nA;1;2\n", "comma", "semicolon"),
    ("exp.csv", "id\tG1\tG2\nA\t1\t2\n", "comma", "tab"),
    ("exp.tsv", "id,G1,G2\nA,1,2\n", "tab", "comma"),
])
def test_a_matrix_split_by_another_separator_than_its_suffix_says_is_named(
        tmp_path, name, text, expected, found):
    path = tmp_path / name
    path.write_text(text)
    message = (f"expected an id column and at least one feature column; expected a {expected}"
               f"-separated file, but its header line is {found}-separated")
    with pytest.raises(InputError, match=message):
        custom.read_omic_matrix(path, "exp")
    with pytest.raises(InputError, match=message):  # modrp predict reads it the same way
        read_new_profiles([f"exp={path}"])
    one_column = tmp_path / f"one{path.suffix}"
    one_column.write_text("id\nA\n")
    with pytest.raises(InputError, match=r"feature column$"):
        custom.read_omic_matrix(one_column, "exp")


def test_drugs_the_drug_table_does_not_name_are_warned_about(tmp_path, caplog):
    rng = np.random.default_rng(1)
    ids = [f"line{i}" for i in range(20)]
    pd.DataFrame(rng.normal(size=(20, 3)), index=pd.Index(ids, name="id"),
                 columns=["TP53", "KRAS", "EGFR"]).to_csv(tmp_path / "exp.csv")
    pd.DataFrame([{"cell_line": c, "drug": d, "ln_ic50": rng.normal()}
                  for c in ids for d in ("Nutlin-3a", "PLX-4720")]).to_csv(
        tmp_path / "resp.csv", index=False)
    # named in another spelling: no match
    pd.DataFrame({"drug": ["Nutlin-3a", "PLX4720"], "target": ["MDM2", "BRAF"],
                  "pathway": ["p53 pathway", "ERK MAPK signaling"]}).to_csv(
        tmp_path / "drugs.csv", index=False)
    config = validate_config({
        "dataset": "t", "omics": ["exp"], "embedding": {"exp": "dense"},
        "data": {"source": "custom", "custom": {"omics": {"exp": str(tmp_path / "exp.csv")},
                                                "response": str(tmp_path / "resp.csv"),
                                                "drugs": str(tmp_path / "drugs.csv")}}})
    with caplog.at_level("WARNING", logger="modrp.preprocess"):
        data = load_custom_files(config["data"]["custom"], config)
    targets = data.drugs.set_index("drug")["target"]
    assert targets.to_dict() == {"Nutlin-3a": "MDM2", "PLX-4720": "unknown"}
    assert ("drugs: 1 of 2 selected drug(s) not in the drug table, by name (names must "
            "match the response's exactly)") in caplog.text
    assert caplog.text.rstrip().endswith("'unknown': PLX-4720")


def test_a_semicolon_file_with_decimal_commas_is_named_as_such(tmp_path):
    """Split at its decimal commas, its lines seem to have more fields than its header;
    the error says so, and what the header shows."""
    path = tmp_path / "exp.csv"
    path.write_text("id;TP53;KRAS\nc1;0,5;1,25\nc2;1,0;2,5\n")
    with pytest.raises(InputError, match=r"its lines have 2 more fields than its header line "
                                         r"\(1\); .*; expected a comma-separated file, but its "
                                         r"header line is semicolon-separated"):
        custom.read_omic_matrix(path, "exp")


def test_lines_longer_than_the_header_are_an_error_said_once(tmp_path, recwarn):
    """pandas makes the extra fields index levels: a wide file with decimal commas gave
    one warning per level (hundreds) and a 'non-numeric value' in a column 'level_1'.
    One field more is a header without the id column's name (R's write.table): read."""
    genes = [f"G{i}" for i in range(300)]
    path = tmp_path / "exp.csv"
    path.write_text(";".join(["id", *genes]) + "\n"
                    + "c1;" + ";".join("0,5" for _ in genes) + "\n")
    with pytest.raises(InputError, match=rf"^custom exp matrix .*: {path}: its lines have 300 "
                                         r"more fields than its header line \(1\); every line"):
        custom.read_omic_matrix(path, "exp")
    assert not recwarn.list
    path.write_text(",".join(genes[:3]) + "\nc1,1,2,3\n")
    frame = custom.read_omic_matrix(path, "exp")
    assert frame.index.tolist() == ["c1"] and frame.columns.tolist() == genes[:3]


def test_a_separator_ending_every_line_is_no_header_without_the_id_name(tmp_path):
    """'c1,1,2,3,' under 'id,A,B,C' has one field more, as R's write.table lines do, but
    the extra one is empty: read as R's, A held id's value, B A's... (NaN allowed)."""
    path = tmp_path / "exp.csv"
    path.write_text("id,A,B,C\nc1,1,2,3,\nc2,4,5,6,\n")
    with pytest.raises(InputError, match=r"every line ends with a separator that its header "
                                         r"line \(4 fields\) does not"):
        custom.read_omic_matrix(path, "exp", allow_missing=True)
    path.write_text("A,B,C\nc1,1,2,3\nc2,4,5,\n")  # R's: a value may be missing
    frame = custom.read_omic_matrix(path, "exp", allow_missing=True)
    assert frame.loc["c1"].tolist() == [1, 2, 3] and frame.columns.tolist() == ["A", "B", "C"]


def test_an_empty_id_under_an_empty_header_cell_names_the_first_column(tmp_path):
    """``DataFrame.to_csv`` leaves the header of an unnamed index empty; pandas reads it
    back as 'Unnamed: 0', a name the file does not hold."""
    path = tmp_path / "exp.csv"
    path.write_text(",TP53,KRAS\nc1,0.5,1.25\n,1.0,2.5\n")
    with pytest.raises(InputError, match=r"exp\.csv: the first column \(its header is empty\) "
                                         r"is empty in row 2 \(line 3 of the file\)"):
        custom.read_omic_matrix(path, "exp")


def test_a_response_of_ic50s_rather_than_their_logs_is_warned_about(tmp_path, caplog):
    rng = np.random.default_rng(1)
    ln_ic50 = rng.normal(1.0, 1.5, size=200)
    rows = [{"cell_line": f"L{i}", "drug": "D1"} for i in range(200)]
    for name, values in [("logs.csv", ln_ic50), ("shifted.csv", ln_ic50 - ln_ic50.min() + 0.1),
                         ("linear.csv", np.exp(ln_ic50))]:
        pd.DataFrame(rows).assign(ln_ic50=values).to_csv(tmp_path / name, index=False)
    with caplog.at_level("WARNING", logger="modrp.sources.custom"):
        custom.read_response(tmp_path / "logs.csv")
        custom.read_response(tmp_path / "shifted.csv")  # positive, but ln-shaped: no warning
    assert caplog.text == ""
    with caplog.at_level("WARNING", logger="modrp.sources.custom"):
        frame = custom.read_response(tmp_path / "linear.csv")
    assert "linear.csv: every ln_ic50 is positive and the values are strongly right-skewed" \
        in caplog.text
    assert "give their natural logs instead" in caplog.text
    assert np.allclose(frame["ln_ic50"], np.exp(ln_ic50))  # read as given, only warned about
