"""Renode compatibility: monitor scripts (.resc), their commands, and a Robot Framework keyword library
compatible with Renode's (``tandem run X.resc``, ``tandem robot X.robot``)."""
