"""The data contract: from a user's table to model windows and back.

Nothing here imports Keras. :func:`~sktsmixer.data.panel.parse_panel` checks
``X`` and lays every series out as one block of an array
(:mod:`~sktsmixer.data.panel`, with the column roles of
:mod:`~sktsmixer.data.roles`, categories of
:mod:`~sktsmixer.data.categorical` and business calendars of
:mod:`~sktsmixer.data.calendars`); :class:`PanelEncoder` is what ``fit``
learns about the data (scaling, calendar features, context) and makes the
windows of training and forecasting alike, and maps forecasts back.
"""

from sktsmixer.data.calendars import SessionCalendar, infer_calendar
from sktsmixer.data.encoder import PanelEncoder
from sktsmixer.data.forecasts import Forecasts
from sktsmixer.data.panel import Panel, parse_panel

__all__ = ["Forecasts", "Panel", "PanelEncoder", "SessionCalendar", "infer_calendar", "parse_panel"]
