"""The files a run writes: names (``.names``), the all-or-none output set
(``.outputset``), the log (``.log``), the ChimeraX script (``.chimerax``), the
plots (``.plots``, matplotlib imported only when plotting) and their composition
(``.writer``)."""
