"""Files a person imports (Exportify CSVs, Tapedeck JSON zips, URI lists), parsed into
playlists of URIs: pure, no gRPC, no HTTP framework."""
