"""Agent hook adapters: Claude Code, Codex, Gemini CLI and Cursor hook protocols."""
