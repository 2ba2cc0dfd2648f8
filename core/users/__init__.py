"""Users of the bots: registration, language, role and alert settings."""

from core.users.service import UserProfile, UserService
from core.users.settings import QuietHours, SettingError, UserSettings

__all__ = ["QuietHours", "SettingError", "UserProfile", "UserService", "UserSettings"]
