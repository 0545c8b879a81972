"""hookline's persistence: ``hookline.store.store.Store`` and the drivers beneath it (see docs/store.md).

Nothing is imported here, so reading one store module (``errors``, ``records``) loads only that one.
"""
