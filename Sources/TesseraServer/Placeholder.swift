enum _PlaceholderTesseraServer {}
