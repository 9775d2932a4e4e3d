"""The parts of the ``sendalloc`` command (:mod:`sendalloc.cli`, its entry point).

- :mod:`.common`: what every command shares: usage errors, progress bars, workers and
  executors, output files, argument types.
- :mod:`.parser`: the argument parser of every command.
- one module per command, with its handler (and its parser when it has its own):
  :mod:`.run`, :mod:`.scenarios`, :mod:`.gap`, :mod:`.sweep`, :mod:`.report`,
  :mod:`.sensitivity`.

Like :mod:`sendalloc.cli` they import sendalloc inside functions, so that the
command starts fast.
"""
