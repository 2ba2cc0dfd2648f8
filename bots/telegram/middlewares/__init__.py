"""Outer middlewares, in the order they run: user loading, per-user rate limit, language."""

from bots.telegram.middlewares.i18n import I18nMiddleware
from bots.telegram.middlewares.throttle import ThrottleMiddleware
from bots.telegram.middlewares.users import UserMiddleware

__all__ = ["I18nMiddleware", "ThrottleMiddleware", "UserMiddleware"]
