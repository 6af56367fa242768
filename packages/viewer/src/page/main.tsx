// The page's entry: the stylesheet, the theme the user picked, and the app.
import { render } from 'preact'
import './app.css'
import { App } from './components/app.js'
import { applyTheme, storedTheme } from './theme.js'

applyTheme(storedTheme())
render(<App />, document.getElementById('app')!)
