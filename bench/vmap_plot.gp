# bench/vmap_plot.gp - bench_vmap's scaling table as a PNG: ns per op against
# the number of live areas N, for the baseline (Linux < 5.2's alloc_vmap_area:
# busy areas in a red-black tree and a list walked from free_vmap_cache, O(N)
# walks here) and lib/vmap (free-area tree), both axes logarithmic.
#
#   gnuplot -e "data='build/bench/vmap_scaling.dat'; out='vmap_scaling.png'" bench/vmap_plot.gp
#
# data: what bench_vmap wrote (default vmap_scaling.dat, or its --data FILE),
# columns N, list ns/op, vmap ns/op, ratio; out: the PNG (default: data with
# .dat replaced by .png).

if (!exists("data")) data = 'vmap_scaling.dat'
if (!exists("out")) {
	n = strlen(data)
	out = (n > 4 && data[n-3:n] eq '.dat') ? data[1:n-4].'.png' : data.'.png'
}

set terminal pngcairo size 900,600 font ',11' noenhanced
set output out

set title "vmap: long busy list (alloc 100 pages, alloc 1 page, free both), time per op\nagainst live areas N (labels: baseline / vmap)"
set xlabel 'N live areas (1-page areas, each followed by a 1-page hole)'
set ylabel 'ns per op (alloc or free), median'
set logscale x 2
set logscale y 10
# Half an octave of room either side, so that the end points and their
# labels are not cut off.
set xrange [724:92682]
set xtics ('1k' 1024, '2k' 2048, '4k' 4096, '8k' 8192, '16k' 16384, '32k' 32768, '64k' 65536)
set mxtics 1
set grid xtics ytics mytics
set key top left box opaque

# The ratio list / vmap at each N, above the list's point.
plot data using 1:2 with linespoints lw 2 pt 7 title 'Linux < 5.2 alloc_vmap_area: busy rbtree + list, free_vmap_cache', \
     data using 1:3 with linespoints lw 2 pt 5 title 'lib/vmap free-area tree', \
     data using 1:2:(sprintf('%.0fx', $4)) with labels offset 0,1.2 notitle
