// ECharts through echarts/core: only the charts and components registered here are bundled.
import * as echarts from 'echarts/core'
import { BarChart, LineChart, MapChart, PieChart, ScatterChart } from 'echarts/charts'
import {
  GeoComponent, GridComponent, LegendComponent, TitleComponent, TooltipComponent, VisualMapComponent,
} from 'echarts/components'
import { CanvasRenderer } from 'echarts/renderers'

echarts.use([BarChart, LineChart, MapChart, PieChart, ScatterChart, GeoComponent, GridComponent, LegendComponent,
  TitleComponent, TooltipComponent, VisualMapComponent, CanvasRenderer])

export default echarts
