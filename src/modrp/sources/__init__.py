"""Parsers for the raw source files: each returns tidy pandas frames.

One module per source family: ``depmap`` (DepMap 19Q3 matrices and sample
info), ``ccle`` (legacy CCLE RPPA and metabolomics), ``gdsc`` (Sanger GDSC
dose response, compounds, cell-line details, gene-level copy number),
``hint`` (HINT interactome) and ``custom`` (user matrices).
"""
