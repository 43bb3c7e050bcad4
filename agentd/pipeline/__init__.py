"""The pipeline glue: raw captures -> normalize -> detect -> decide -> record, one object per daemon."""
