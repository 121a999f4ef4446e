"""The files a run writes: names (:mod:`.names`), the all-or-none output set
(:mod:`.outputset`), the log (:mod:`.log`), the ChimeraX script (:mod:`.chimerax`), the
plots (:mod:`.plots`, matplotlib imported only when plotting) and their composition
(:mod:`.writer`)."""
