"""Errors a user fixes by changing data, params or files; stages print them as one line."""


class OrnamentsError(Exception):
    """Base of the errors whose message names the file, class or key and what to change."""


class ParamsError(OrnamentsError, ValueError):
    """An unknown key, a missing key or a value of the wrong type in params."""


class ConfigError(OrnamentsError, ValueError):
    """A param value that is valid on its own but does not fit the data, the model or the machine."""


class DataError(OrnamentsError, ValueError):
    """The image folder cannot be used as it is."""


class WeightsError(OrnamentsError, RuntimeError):
    """Pretrained weights could not be loaded."""


class GradCAMError(OrnamentsError, RuntimeError):
    """The target layer's output cannot be turned into a spatial map."""


class MissingOutputError(OrnamentsError, FileNotFoundError):
    """An output of an earlier stage is missing."""
