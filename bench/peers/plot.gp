# plot.gp - bench/peers/run.sh's plots. Variables: term, dir, nstyles, versions.
set terminal term size 1200,820 font ",10"
set datafile missing "NaN"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set key top left horizontal opaque reverse Left samplen 2
set grid ytics
set xtics nomirror
set output dir."/latency.png"
set multiplot layout 2,2 title sprintf("catch-up latency: write -> peer shows that version or a newer one (ms, log scale; %d versions per bar; no bar: nothing shown)", versions)
set logscale y
set yrange [0.01:50000]
set ylabel "ms"
do for [f in "paced-p50 paced-p99 burst-p50 burst-p99"] {
  set title f
  plot for [c=2:nstyles+1] dir."/".f.".dat" using c:xtic(1) title columnheader(c)
}
unset multiplot
unset logscale y
set output dir."/missed.png"
set terminal term size 1200,420 font ",10"
set multiplot layout 1,2 title sprintf("versions never shown (of %d)", versions)
set yrange [0:versions * 1.3]
set ylabel "missed"
do for [f in "paced-missed burst-missed"] {
  set title f
  plot for [c=2:nstyles+1] dir."/".f.".dat" using c:xtic(1) title columnheader(c)
}
unset multiplot
set output dir."/resources.png"
set multiplot layout 1,2 title "resources of the peer's process tree, idle"
set yrange [0:*]
set offsets 0, 0, 0.01, 0
set key off
set title "RSS (MiB)"
set ylabel "MiB"
plot dir."/resources.dat" using 2:xtic(1) title "RSS"
set title "idle CPU (%)"
set ylabel "% of one core"
plot dir."/resources.dat" using 3:xtic(1) title "CPU"
unset multiplot
