"""The Telegram bot (aiogram 3). ``formatters`` renders core data as the messages of UX.md;
``i18n`` holds the gettext catalogs (English, French)."""
