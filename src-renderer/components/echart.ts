// An ECharts instance bound to a component's element: created on mount, resized with the element,
// disposed on unmount. `draw` gets the chart (or null before mount) and is called once mounted.
import { onBeforeUnmount, onMounted, type Ref } from 'vue';
import { init, type ECharts } from 'echarts/core';

export function useEChart(el: Ref<HTMLDivElement | null>, draw: () => void): { chart: () => ECharts | null } {
  let chart: ECharts | null = null;
  let resize: ResizeObserver | null = null;
  onMounted(() => {
    chart = init(el.value!, undefined, { renderer: 'canvas' });
    resize = new ResizeObserver(() => chart?.resize());
    resize.observe(el.value!);
    draw();
  });
  onBeforeUnmount(() => {
    resize?.disconnect();
    chart?.dispose();
    chart = null;
  });
  return { chart: () => chart };
}
