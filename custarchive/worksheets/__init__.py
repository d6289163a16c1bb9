"""Key-customer analysis worksheets (大客户分析): SWOT with its opportunity and threat matrices,
competitive advantage and performance indices, and the key-customer profile.

Plain domain code: functions take a Connection and an Actor, raise typed errors,
and log every change through ``changelog.record``. Labels, zones, advice and
thresholds come from ``data/worksheets.toml`` (see :mod:`.spec`).
"""
