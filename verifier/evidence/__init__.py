"""What is kept and proved: the SQLite archive, the evidence record, the proof model, report files."""
