-- Entry point of the lanterns mod: the game calls on_load once the mod is enabled.
local config = require("config")

function on_load(world)
  for _, post in ipairs(world:find("lamp_post")) do
    post:attach("lantern", { brightness = config.brightness, flicker = config.flicker })
  end
  world:at(config.dusk, function() world:light_all("lantern") end)
end
