-- One database per Tapedeck service, created by the postgres image on its first start (an
-- empty data volume). Each service creates its own tables (migrations run at its start).
CREATE DATABASE tapedeck_auth;
CREATE DATABASE tapedeck_library;
CREATE DATABASE tapedeck_playlist;
CREATE DATABASE tapedeck_track;
CREATE DATABASE tapedeck_album;
CREATE DATABASE tapedeck_artist;
CREATE DATABASE tapedeck_download;
CREATE DATABASE tapedeck_spotify_rate;
