"""Import of CRM exports (CSV / XLSX) through mapping files."""
