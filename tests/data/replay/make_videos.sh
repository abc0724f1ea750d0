#!/bin/sh
# Makes the small test recording of tests/browser/test_replay.py: 10 s of ffmpeg's test
# pattern with a running clock, 160x90 at 10 fps, no sound, H.264 (Constrained Baseline:
# every browser plays it), as one MP4 (moov first, for playback while downloading) and as
# an HLS playlist of 2 s MPEG-TS segments. Run from anywhere: ./make_videos.sh
# Needs ffmpeg (Debian: apt-get install ffmpeg); the outputs are committed, so CI does not.
set -eu
cd "$(dirname "$0")"
rm -f replay.mp4 hls/*.ts hls/index.m3u8
mkdir -p hls
SRC="testsrc2=size=160x90:rate=10:duration=10"
CODEC="-c:v libx264 -profile:v baseline -level 3.0 -pix_fmt yuv420p -g 20 -keyint_min 20 -sc_threshold 0 -b:v 60k -maxrate 80k -bufsize 120k"
# shellcheck disable=SC2086
ffmpeg -hide_banner -loglevel error -f lavfi -i "$SRC" $CODEC -an -movflags +faststart \
  -map_metadata -1 -fflags +bitexact -flags:v +bitexact replay.mp4
# shellcheck disable=SC2086
ffmpeg -hide_banner -loglevel error -f lavfi -i "$SRC" $CODEC -an -map_metadata -1 \
  -f hls -hls_time 2 -hls_list_size 0 -hls_playlist_type vod \
  -hls_segment_filename 'hls/seg%02d.ts' hls/index.m3u8
ls -l replay.mp4 hls
