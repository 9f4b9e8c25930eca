enum _PlaceholderTesseraClient {}
